/**
 * The one check every command that needs a Kafka broker makes first, before it starts anything:
 * a bounded probe of the bootstrap servers (adapters/kafka/probeBroker.ts). Without it, the kafka
 * adapter's clients would retry for ever and the command would hang instead of saying why.
 */
import { BrokerUnreachable } from '../broker/errors.js';

/** Rejects with BrokerUnreachable when no broker answered at `brokers` within `timeoutMs`. */
export async function requireBroker(brokers: string, timeoutMs?: number): Promise<void> {
  const { probeBroker } = await import('../../adapters/kafka/index.js');
  await probeBroker(brokers, timeoutMs);
}

/** The line a user reads: where no broker answered, and what to do about it. */
export function brokerUnreachableLine(e: BrokerUnreachable): string {
  return `${e.message} — start one (npm run kafka:start) or pass --brokers host:port`;
}
