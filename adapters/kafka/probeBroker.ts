/**
 * A bounded check that a Kafka cluster answers at the bootstrap servers, for commands to run before
 * they start anything else. One plain librdkafka client connects and asks for cluster metadata
 * within `timeoutMs`; either way it is disconnected before this resolves, so nothing is left
 * running (the adapter's own clients retry for ever instead: see clientLifecycle.ts).
 */
import Kafka from 'node-rdkafka';
import { BrokerUnreachable } from '../../src/broker/errors.js';
import { disconnectOnce } from './clientLifecycle.js';
import { adminConfig } from './config.js';

export const PROBE_TIMEOUT_MS = 10_000;

/** Resolves once a broker answered; rejects with BrokerUnreachable after `timeoutMs`. */
export function probeBroker(brokers: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  // librdkafka also bounds the socket connect; metadata waits at most `timeoutMs` after it.
  const client = new Kafka.Producer(adminConfig({ brokers, clientId: 'kastor-probe' }));
  return new Promise<void>((resolve, reject) => {
    // node-rdkafka's connect() disconnects the client itself when its metadata request fails.
    client.connect({ timeout: timeoutMs }, (err) => {
      if (err) reject(new BrokerUnreachable(brokers, timeoutMs, err));
      else void disconnectOnce(client).then(resolve);
    });
  });
}
