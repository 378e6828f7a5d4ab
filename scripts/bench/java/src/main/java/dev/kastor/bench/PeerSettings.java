package dev.kastor.bench;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What both Kafka Streams peers run with: their application id, broker, state directory, stream
 * threads and processing guarantee; reading from the beginning; Kafka Streams' defaults otherwise
 * (commit.interval.ms among them: 30 s at-least-once, 100 ms exactly-once).
 */
final class PeerSettings {
  private PeerSettings() {}

  static Properties properties(String bootstrap, String applicationId, String stateDir, int threads, String guarantee) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return props;
  }

  /** The commit interval in effect, to print beside the peer's figure. */
  static long commitIntervalMs(StreamsConfig config) {
    return config.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
  }
}
