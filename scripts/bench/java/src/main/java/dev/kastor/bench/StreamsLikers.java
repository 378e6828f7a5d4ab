package dev.kastor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The fair Kafka Streams peer of kastor's Kafka pipeline benchmark: the work of kastor's post actor
 * (actors/social/postMachine.ts) on the same input. Per post, the set of its likers and its
 * comment count live in state stores (RocksDB behind the record cache, each with its changelog
 * topic, as a DSL aggregate would have them): one like per user — a like by a user already in the
 * set changes nothing and emits nothing —, {@code post.unliked} removes the user, {@code
 * post.commented} counts; every change emits {@code {"postId","likes","comments"}} keyed by post
 * id to the output topic. The input topics are keyed by post id, so no repartition.
 *
 * <p>The set is held as one entry per (post, user) in the {@code likers} store, and the counts per
 * post in the {@code counts} store (a Serde of two ints). One serialised set per post would be
 * re-serialised and re-read in full on every like (a Kafka Streams store holds bytes, even behind
 * its cache): O(likers) per event, 17k ids per like on the bench's most popular post — a cost of
 * that layout, not of the work. {@code -Dkastor.layout=blob} runs that layout instead, to see it.
 *
 * <pre>java -cp kastor-bench-streams.jar:.kafka/libs/* dev.kastor.bench.StreamsLikers \
 *   BOOTSTRAP INPUT_TOPICS N OUTPUT_TOPIC EXPECTED_OUTPUTS APPLICATION_ID STATE_DIR THREADS GUARANTEE</pre>
 *
 * INPUT_TOPICS is comma-separated; N the input records to process; EXPECTED_OUTPUTS the changes
 * the input makes (the output records to wait for); GUARANTEE {@code at_least_once} or {@code
 * exactly_once_v2}; other settings are Kafka Streams' defaults (commit.interval.ms 30 s
 * at-least-once, 100 ms exactly-once). The output topic is created (partitions as the first input)
 * if missing.
 *
 * <p>Prints one line {@code STREAMS_RESULT {...}}, times from {@code start()} (JVM start-up
 * excluded): {@code firstRecordMs} (group join and assignment), {@code processedMs} (N records
 * through the processor, their changes in the stores and handed to the producer) and {@code
 * elapsedMs} (every expected output readable on the output topic, read_committed: produced and
 * acknowledged, and under exactly-once its transaction committed) — kastor is timed to the same
 * point, its outbox produced.
 */
public final class StreamsLikers {
  static final String LIKERS = "likers";
  static final String COUNTS = "counts";
  static final byte[] PRESENT = {1};
  /** The event types the post actor acts on; other records change nothing. */
  static final java.util.Set<String> KNOWN = java.util.Set.of("post.liked", "post.unliked", "post.commented");

  private StreamsLikers() {}

  /** A post's counts, as kept in the {@code counts} store. */
  record Counts(int likes, int comments) {
    static final Counts NONE = new Counts(0, 0);
  }

  static final Serde<Counts> COUNTS_SERDE = Serdes.serdeFrom(
      (Serializer<Counts>) (topic, c) -> c == null ? null : ByteBuffer.allocate(8).putInt(c.likes()).putInt(c.comments()).array(),
      (Deserializer<Counts>) (topic, bytes) -> {
        if (bytes == null) return null;
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new Counts(b.getInt(), b.getInt());
      });

  /** The blob layout's value: every liker of a post and its comment count, in one entry. */
  static final class Post {
    final java.util.HashSet<String> likers;
    int comments;

    Post(java.util.HashSet<String> likers, int comments) {
      this.likers = likers;
      this.comments = comments;
    }
  }

  /** Comments, the number of likers, then each liker as a length-prefixed UTF-8 string. */
  static final Serde<Post> POST_SERDE = Serdes.serdeFrom(
      (Serializer<Post>) (topic, p) -> {
        if (p == null) return null;
        List<byte[]> ids = new ArrayList<>(p.likers.size());
        int size = 8;
        for (String id : p.likers) {
          byte[] utf8 = id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
          ids.add(utf8);
          size += 2 + utf8.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(p.comments).putInt(ids.size());
        for (byte[] utf8 : ids) b.putShort((short) utf8.length).put(utf8);
        return b.array();
      },
      (Deserializer<Post>) (topic, bytes) -> {
        if (bytes == null) return null;
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int comments = b.getInt();
        int n = b.getInt();
        java.util.HashSet<String> likers = new java.util.HashSet<>(Math.max(16, n * 2));
        for (int i = 0; i < n; i++) {
          int len = b.getShort();
          likers.add(new String(bytes, b.position(), len, java.nio.charset.StandardCharsets.UTF_8));
          b.position(b.position() + len);
        }
        return new Post(likers, comments);
      });

  /** What every processor instance (one per task, across threads) reports to. */
  static final class Progress {
    final long n;
    final AtomicLong processed = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    final AtomicLong firstAt = new AtomicLong();
    final CountDownLatch done = new CountDownLatch(1);

    Progress(long n) {
      this.n = n;
    }

    void processedOne() {
      long count = processed.incrementAndGet();
      if (count == 1) firstAt.set(System.nanoTime());
      if (count == n) done.countDown();
    }
  }

  /** The post actor's work on one event: the post's counts are forwarded when it changes them. */
  abstract static class PostProcessor implements Processor<String, String, String, String> {
    final ObjectMapper json = new ObjectMapper();
    final Progress progress;
    ProcessorContext<String, String> context;

    PostProcessor(Progress progress) {
      this.progress = progress;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
    }

    /** The post's counts after the event, or null when the event changes nothing. */
    abstract Counts apply(String postId, String type, String userId);

    @Override
    public void process(Record<String, String> record) {
      JsonNode event = parse(record.value());
      String type = event == null ? "" : event.path("type").asText();
      if (!KNOWN.contains(type)) {
        // A record that is not one of the post's events changes nothing (kastor dead-letters it).
        progress.skipped.incrementAndGet();
        progress.processedOne();
        return;
      }
      String postId = record.key() != null ? record.key() : event.path("postId").asText();
      Counts after = apply(postId, type, event.path("userId").asText(null));
      if (after != null) {
        ObjectNode out = json.createObjectNode().put("postId", postId).put("likes", after.likes()).put("comments", after.comments());
        context.forward(record.withKey(postId).withValue(writeJson(out)));
      }
      progress.processedOne();
    }

    private JsonNode parse(String value) {
      if (value == null) return null;
      try {
        return json.readTree(value);
      } catch (IOException e) {
        return null;
      }
    }

    private String writeJson(ObjectNode out) {
      try {
        return json.writeValueAsString(out);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Likers as one store entry per (post, user), counts in a store of their own. */
  static final class KeyedLikers extends PostProcessor {
    private KeyValueStore<String, byte[]> likers;
    private KeyValueStore<String, Counts> counts;

    KeyedLikers(Progress progress) {
      super(progress);
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
      super.init(context);
      likers = context.getStateStore(LIKERS);
      counts = context.getStateStore(COUNTS);
    }

    @Override
    Counts apply(String postId, String type, String userId) {
      int likes = 0;
      int comments = 0;
      switch (type) {
        case "post.liked", "post.unliked" -> {
          if (userId == null) return null;
          String liker = postId + '\u0000' + userId;
          boolean liked = likers.get(liker) != null;
          if (type.equals("post.liked") == liked) return null;
          if (liked) likers.delete(liker);
          else likers.put(liker, PRESENT);
          likes = liked ? -1 : 1;
        }
        case "post.commented" -> comments = 1;
        default -> {
          return null;
        }
      }
      Counts now = counts.get(postId);
      if (now == null) now = Counts.NONE;
      Counts after = new Counts(now.likes() + likes, now.comments() + comments);
      counts.put(postId, after);
      return after;
    }
  }

  /** The whole set of a post's likers as one store entry (POST_SERDE). */
  static final class BlobLikers extends PostProcessor {
    private KeyValueStore<String, Post> posts;

    BlobLikers(Progress progress) {
      super(progress);
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
      super.init(context);
      posts = context.getStateStore(LIKERS);
    }

    @Override
    Counts apply(String postId, String type, String userId) {
      Post post = posts.get(postId);
      if (post == null) post = new Post(new java.util.HashSet<>(), 0);
      switch (type) {
        case "post.liked" -> {
          if (userId == null || !post.likers.add(userId)) return null;
        }
        case "post.unliked" -> {
          if (userId == null || !post.likers.remove(userId)) return null;
        }
        case "post.commented" -> post.comments++;
        default -> {
          return null;
        }
      }
      posts.put(postId, post);
      return new Counts(post.likers.size(), post.comments);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 9) {
      System.err.println("usage: StreamsLikers BOOTSTRAP INPUT_TOPICS N OUTPUT_TOPIC EXPECTED_OUTPUTS APPLICATION_ID STATE_DIR THREADS GUARANTEE");
      System.exit(2);
    }
    String bootstrap = args[0];
    List<String> inputs = Arrays.asList(args[1].split(","));
    long n = Long.parseLong(args[2]);
    String output = args[3];
    long expectedOutputs = Long.parseLong(args[4]);
    String applicationId = args[5];
    String stateDir = args[6];
    int threads = Integer.parseInt(args[7]);
    String guarantee = args[8];
    boolean blob = "blob".equals(System.getProperty("kastor.layout", "keys"));

    StreamsConfig config = new StreamsConfig(PeerSettings.properties(bootstrap, applicationId, stateDir, threads, guarantee));
    long commitIntervalMs = PeerSettings.commitIntervalMs(config);

    int partitions = createOutputTopic(bootstrap, inputs.get(0), output);

    Progress progress = new Progress(n);
    StreamsBuilder builder = new StreamsBuilder();
    if (blob) {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LIKERS), Serdes.String(), POST_SERDE).withCachingEnabled());
    } else {
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LIKERS), Serdes.String(), Serdes.ByteArray()).withCachingEnabled());
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(COUNTS), Serdes.String(), COUNTS_SERDE).withCachingEnabled());
    }
    String[] stores = blob ? new String[] {LIKERS} : new String[] {LIKERS, COUNTS};
    builder.stream(inputs, Consumed.with(Serdes.String(), Serdes.String()))
        .process(() -> blob ? new BlobLikers(progress) : new KeyedLikers(progress), stores)
        .to(output, Produced.with(Serdes.String(), Serdes.String()));

    OutputWatch watch = new OutputWatch(bootstrap, output, partitions, expectedOutputs);
    Thread watcher = new Thread(watch, "output-watch");
    watcher.setDaemon(true);

    KafkaStreams streams = new KafkaStreams(builder.build(), config);
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      System.exit(1);
      return null;
    });
    watcher.start();
    watch.ready.await(30, TimeUnit.SECONDS);
    long start = System.nanoTime();
    streams.start();
    boolean processed = progress.done.await(30, TimeUnit.MINUTES);
    long processedAt = System.nanoTime();
    boolean emitted = processed && watch.done.await(5, TimeUnit.MINUTES);
    long end = System.nanoTime();
    streams.close(Duration.ofSeconds(30));
    streams.cleanUp();
    if (!processed || !emitted) {
      System.err.printf("StreamsLikers: processed %d of %d records, saw %d of %d outputs%n",
          progress.processed.get(), n, watch.seen.get(), expectedOutputs);
      System.exit(1);
    }
    System.out.printf("STREAMS_RESULT {\"records\":%d,\"elapsedMs\":%.1f,\"firstRecordMs\":%.1f,\"processedMs\":%.1f,"
            + "\"outputs\":%d,\"skipped\":%d,\"guarantee\":\"%s\",\"commitIntervalMs\":%d,\"threads\":%d,\"layout\":\"%s\"}%n",
        n, (end - start) / 1e6, (progress.firstAt.get() - start) / 1e6, (processedAt - start) / 1e6,
        watch.seen.get(), progress.skipped.get(), guarantee, commitIntervalMs, threads, blob ? "blob" : "keys");
  }

  /** Creates the output topic with the first input's partition count unless it exists; returns that count. */
  static int createOutputTopic(String bootstrap, String input, String output) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      int partitions = admin.describeTopics(List.of(input)).allTopicNames().get().get(input).partitions().size();
      try {
        admin.createTopics(List.of(new NewTopic(output, partitions, (short) 1))).all().get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
      return admin.describeTopics(List.of(output)).allTopicNames().get().get(output).partitions().size();
    }
  }

  /** Reads the output topic from the beginning (read_committed) until it has seen the expected records. */
  static final class OutputWatch implements Runnable {
    final CountDownLatch ready = new CountDownLatch(1);
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicLong seen = new AtomicLong();
    private final Properties props = new Properties();
    private final String topic;
    private final int partitions;
    private final long expected;

    OutputWatch(String bootstrap, String topic, int partitions, long expected) {
      this.topic = topic;
      this.partitions = partitions;
      this.expected = expected;
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    }

    @Override
    public void run() {
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) all.add(new TopicPartition(topic, p));
        consumer.assign(all);
        consumer.seekToBeginning(all);
        for (TopicPartition tp : all) consumer.position(tp);
        ready.countDown();
        while (seen.get() < expected) seen.addAndGet(consumer.poll(Duration.ofMillis(100)).count());
        done.countDown();
      }
    }
  }
}
