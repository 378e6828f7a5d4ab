/**
 * One error hierarchy for the broker port (after kafkajs): each says what went wrong and whether
 * trying again can help.
 */
export class BrokerError extends Error {
  readonly retriable: boolean;
  /**
   * The client that met it cannot go on (Kafka: librdkafka's fatal errors): neither a retry nor a
   * stage restart helps, the process must end for its supervisor to start a fresh one.
   */
  readonly fatal: boolean;
  constructor(message: string, options: { retriable?: boolean; fatal?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.fatal = options.fatal ?? false;
    this.retriable = !this.fatal && (options.retriable ?? false);
  }
}

/** Whether an error is a BrokerError after which the process must end. */
export function isFatalBrokerError(e: unknown): e is BrokerError {
  return e instanceof BrokerError && e.fatal;
}

export class UnknownTopic extends BrokerError {
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist (kastor creates topics from config/, never by auto-creation)`);
  }
}

export class UnknownPartition extends BrokerError {
  constructor(readonly topic: string, readonly partition: number) {
    super(`topic ${topic} has no partition ${partition}`);
  }
}

export class InvalidTopicSpec extends BrokerError {}

export class ProducerClosed extends BrokerError {
  constructor() {
    super('the producer is closed');
  }
}

export class BrokerUnavailable extends BrokerError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, cause });
  }
}

/**
 * No broker answered the bootstrap servers within a bound, at start-up. Not retriable: a command
 * that meets it stops and says where it looked, rather than waiting for a broker that may never come.
 */
export class BrokerUnreachable extends BrokerError {
  constructor(readonly brokers: string, readonly waitedMs: number, cause?: unknown) {
    super(`no Kafka broker answered at ${brokers} within ${Math.round(waitedMs / 1000)} s`, { retriable: false, cause });
  }
}
