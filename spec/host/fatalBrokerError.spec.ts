/**
 * A fatal broker error (src/broker/errors.ts: the client cannot go on, as librdkafka's "Fatal
 * error" of an idempotent producer fenced or out of sequence) is not retried for ever and not
 * mended by a stage restart: the runtime reports it once through `onFatal`, for the process to exit 1.
 * The broker is the memory one with, at the port, a producer that has met such an error (the real
 * librdkafka errors: spec/adapters/kafka/fatalErrors.spec.ts).
 */
import { expect } from 'chai';
import { Subject } from 'rxjs';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import type { Broker, Producer } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { counterApp, counterTopics } from '../support/counterApp.js';
import { waitFor } from '../support/waitFor.js';

const fenced = () => new BrokerError('idempotent producer failed: librdkafka fatal error, the client cannot go on: Fatal error: producer fenced (librdkafka code -150)', { fatal: true });

/** The memory broker, whose producers have met a fatal error once `broken` is set. */
function brokerWithFatalProducer(inner: MemoryBroker, state: { broken: boolean; sends: number }, fatalErrors?: Subject<BrokerError>): Broker {
  const producer = (): Producer => {
    const real = inner.producer();
    return {
      send: async (records) => {
        state.sends++;
        if (state.broken) throw fenced();
        return real.send(records);
      },
      flush: () => real.flush(),
      close: () => real.close(),
    };
  };
  return {
    name: 'memory-with-a-fenced-producer',
    admin: inner.admin,
    producer,
    consumer: (options) => inner.consumer(options),
    readPartition: (tp, options) => inner.readPartition(tp, options),
    fatalErrors: fatalErrors?.asObservable(),
    close: () => inner.close(),
  };
}

describe('a fatal broker error ends the runtime', function () {
  this.timeout(20_000);
  const at = '2026-01-01T12:00:00.000Z';

  async function runtimeOn(broker: Broker) {
    const store = new SqliteStateStore(':memory:');
    const metrics = new Metrics();
    const fatals: Error[] = [];
    const runtime = new Runtime([counterApp()], { broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(1), onFatal: (e) => fatals.push(e) });
    await runtime.start();
    await waitFor(() => runtime.ready, { message: 'the runtime to be ready' });
    return { runtime, store, metrics, fatals, close: async () => { await runtime.stop(); store.close(); } };
  }

  it('when a stage\'s outbox cannot be produced: onFatal at once, no retry loop, no stage restart', async () => {
    const inner = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const state = { broken: false, sends: 0 };
    const r = await runtimeOn(brokerWithFatalProducer(inner, state));
    try {
      state.broken = true;
      await inner.producer().send([{ topic: counterTopics.input.name, key: 'c1', value: JSON.stringify({ id: 'r1', type: 'counter.added', key: 'c1', at, n: 1 }) }]);
      await waitFor(() => r.fatals.length > 0, { message: 'onFatal to be called' });
      expect(r.fatals).to.have.length(1);
      expect(r.fatals[0]).to.be.instanceOf(BrokerError).and.to.include({ fatal: true, retriable: false });
      expect(r.fatals[0].message).to.contain('code -150');
      expect(state.sends).to.equal(1);
      expect(r.runtime.stages.get('spec.counter')).to.equal('given-up');
      expect(r.metrics.value('kastor_stage_restarts_total', { stage: 'spec.counter' })).to.equal(0);
      expect(r.runtime.healthy).to.equal(false);
    } finally {
      await r.close();
      await inner.close();
    }
  });

  it('when any client of the broker reports one, whether or not a stage uses it', async () => {
    const inner = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const fatalErrors = new Subject<BrokerError>();
    const r = await runtimeOn(brokerWithFatalProducer(inner, { broken: false, sends: 0 }, fatalErrors));
    try {
      const error = fenced();
      fatalErrors.next(error);
      fatalErrors.next(fenced());
      expect(r.fatals).to.deep.equal([error]);
    } finally {
      await r.close();
      await inner.close();
    }
  });
});
