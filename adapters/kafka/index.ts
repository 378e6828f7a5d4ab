/** The kafka adapter of the broker port: node-rdkafka against a real Apache Kafka. */
export { KafkaBroker, type KafkaBrokerOptions } from './KafkaBroker.js';
export { consoleKafkaLogger, type KafkaLogger, type KafkaLogFields } from './logger.js';
export { PROBE_TIMEOUT_MS, probeBroker } from './probeBroker.js';
