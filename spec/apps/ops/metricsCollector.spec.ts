import { expect } from 'chai';
import { metricSampled } from '../../../actors/ops/events.js';
import { opsTopics } from '../../../config/ops.js';
import { MetricsCollector, parseExposition } from '../../../src/apps/ops/metricsCollector.js';
import type { Producer, ProducerOptions } from '../../../src/broker/Broker.js';
import type { OutgoingRecord, RecordMetadata } from '../../../src/broker/Record.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { Metrics } from '../../../src/metrics/Metrics.js';
import { waitFor } from '../../support/waitFor.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');

function setup() {
  const sends: OutgoingRecord[][] = [];
  const asked: Array<ProducerOptions | undefined> = [];
  let closed = false;
  const producer: Producer = {
    send: async (records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> => {
      sends.push([...records]);
      return records.map((r) => ({ topic: r.topic, partition: 0, offset: -1 }));
    },
    flush: async () => undefined,
    close: async () => void (closed = true),
  };
  const clock = new VirtualClock(T0);
  const metrics = new Metrics();
  const batches = metrics.counter('kastor_batches_total', 'batches');
  const live = metrics.gauge('kastor_live_actors', 'live');
  let rss = 1_000;
  const collector = new MetricsCollector({
    broker: { producer: (o) => (asked.push(o), producer) },
    metrics, clock, ids: seededIdSource(7), service: 'api', intervalMs: 10_000,
    processFigures: () => ({ process_resident_memory_bytes: rss }),
  });
  const events = (i: number) => sends[i].map((r) => JSON.parse(r.value!));
  const byName = (i: number) => Object.fromEntries(events(i).map((e) => [e.name, e.value]));
  return { sends, asked, clock, collector, batches, live, events, byName, setRss: (v: number) => (rss = v), isClosed: () => closed };
}

describe('metrics collector', () => {
  it('samples the registry and the process every interval on the clock, with the fire-and-forget profile', async () => {
    const s = setup();
    s.batches({ stage: 'a' }, 3);
    s.live({ stage: 'a' }, 42);
    await s.collector.start();
    expect(s.asked.map((o) => o?.profile)).to.deep.equal(['fire-and-forget']);
    s.clock.advance(9_999);
    expect(s.sends).to.have.length(0);
    s.clock.advance(1);
    await waitFor(() => s.sends.length === 1);
    expect(s.byName(0)).to.deep.equal({
      'kastor_batches_total{stage="a"}': 3,
      'kastor_live_actors{stage="a"}': 42,
      process_resident_memory_bytes: 1_000,
    });
    for (const e of s.events(0)) {
      expect(() => metricSampled.parse(e)).to.not.throw();
      expect(e).to.deep.include({ type: 'metric.sampled', key: 'api', service: 'api', at: '2026-01-01T12:00:10.000Z' });
    }
    expect(s.sends[0].every((r) => r.topic === opsTopics.metrics.name && r.key === 'api')).to.equal(true);

    s.batches({ stage: 'a' }, 2);
    s.setRss(2_000);
    s.clock.advance(10_000);
    await waitFor(() => s.sends.length === 2);
    expect(s.byName(1)['kastor_batches_total{stage="a"}']).to.equal(5);
    expect(s.byName(1).process_resident_memory_bytes).to.equal(2_000);
    expect(s.events(1)[0].at).to.equal('2026-01-01T12:00:20.000Z');
    await s.collector.stop();
  });

  it('stops sampling on stop and closes its producer', async () => {
    const s = setup();
    await s.collector.start();
    s.clock.advance(10_000);
    await waitFor(() => s.sends.length === 1);
    await s.collector.stop();
    expect(s.isClosed()).to.equal(true);
    s.clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.sends).to.have.length(1);
    expect(s.clock.pendingTimers).to.equal(0);
  });

  it('reads every series of a Prometheus exposition, summaries included', async () => {
    const m = new Metrics();
    m.summary('kastor_batch_ms', 'ms')({ stage: 'x' }, 4);
    expect(parseExposition(await m.render()).map((s) => s.name)).to.deep.equal([
      'kastor_batch_ms{quantile="0.5",stage="x"}', 'kastor_batch_ms{quantile="0.9",stage="x"}',
      'kastor_batch_ms{quantile="0.99",stage="x"}', 'kastor_batch_ms_sum{stage="x"}', 'kastor_batch_ms_count{stage="x"}',
    ]);
  });
});
