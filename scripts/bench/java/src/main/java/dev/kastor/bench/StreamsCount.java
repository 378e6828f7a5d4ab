package dev.kastor.bench;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The {@code count()} Kafka Streams peer of kastor's Kafka pipeline benchmark: {@code
 * groupByKey().count()} over the likes topic (keyed by post id, so no repartition), less work than
 * kastor's post actor (StreamsLikers does the same work). THREADS stream threads (default 1),
 * GUARANTEE {@code at_least_once} (default) or {@code exactly_once_v2}, Kafka Streams' defaults
 * otherwise (RocksDB store with its record cache, changelog topic, commit.interval.ms 30 s
 * at-least-once, 100 ms exactly-once). Counts records as they enter the topology and stops at N.
 *
 * <pre>java -cp kastor-bench-streams.jar:.kafka/libs/* dev.kastor.bench.StreamsCount \
 *   BOOTSTRAP TOPIC N APPLICATION_ID STATE_DIR [THREADS [GUARANTEE]]</pre>
 *
 * Prints one line {@code STREAMS_RESULT {"records":N,"elapsedMs":..,"firstRecordMs":..,...}}:
 * elapsed from {@code start()} (JVM start-up excluded) to the N-th record, when the first record
 * arrived (group join and assignment), and the guarantee, commit interval and threads it ran with.
 */
public final class StreamsCount {
  private StreamsCount() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5 || args.length > 7) {
      System.err.println("usage: StreamsCount BOOTSTRAP TOPIC N APPLICATION_ID STATE_DIR [THREADS [GUARANTEE]]");
      System.exit(2);
    }
    String bootstrap = args[0];
    String topic = args[1];
    long n = Long.parseLong(args[2]);
    String applicationId = args[3];
    String stateDir = args[4];
    int threads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
    String guarantee = args.length > 6 ? args[6] : StreamsConfig.AT_LEAST_ONCE;

    Properties props = PeerSettings.properties(bootstrap, applicationId, stateDir, threads, guarantee);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    StreamsConfig config = new StreamsConfig(props);
    long commitIntervalMs = PeerSettings.commitIntervalMs(config);

    AtomicLong seen = new AtomicLong();
    AtomicLong firstAt = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    StreamsBuilder builder = new StreamsBuilder();
    builder.<String, String>stream(topic)
        .peek((key, value) -> {
          long count = seen.incrementAndGet();
          if (count == 1) firstAt.set(System.nanoTime());
          if (count == n) done.countDown();
        })
        .groupByKey()
        .count();

    KafkaStreams streams = new KafkaStreams(builder.build(), config);
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      System.exit(1);
      return null;
    });
    long start = System.nanoTime();
    streams.start();
    boolean reached = done.await(30, TimeUnit.MINUTES);
    long end = System.nanoTime();
    streams.close(Duration.ofSeconds(30));
    streams.cleanUp();
    if (!reached) {
      System.err.println("StreamsCount: only " + seen.get() + " of " + n + " records in 30 minutes");
      System.exit(1);
    }
    System.out.printf("STREAMS_RESULT {\"records\":%d,\"elapsedMs\":%.1f,\"firstRecordMs\":%.1f,"
            + "\"guarantee\":\"%s\",\"commitIntervalMs\":%d,\"threads\":%d}%n",
        n, (end - start) / 1e6, (firstAt.get() - start) / 1e6, guarantee, commitIntervalMs, threads);
  }
}
