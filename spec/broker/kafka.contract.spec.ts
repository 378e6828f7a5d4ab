/**
 * The broker contract on the `kafka` adapter, against a real broker (KAFKA_BROKERS, default
 * 127.0.0.1:9092; `npm run kafka:start` boots one). Skipped with a note when none is reachable,
 * failed instead on CI.
 */
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../support/kafka.js';
import { brokerContract } from './brokerContract.js';

describeKafka('kafka adapter', () => {
  brokerContract('kafka', async () => {
    const broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'kastor-contract', logger: recordingKafkaLogger() });
    return { broker, teardown: () => broker.close() };
  });
});
