import { expect } from 'chai';
import { createActor } from 'xstate';
import type { MetricAggregated, MetricSampled } from '../../../actors/ops/events.js';
import { metricAggregated } from '../../../actors/ops/events.js';
import { createMetricsAggregator, metricsAggregatorMachine } from '../../../actors/ops/metricsAggregatorMachine.js';
import { nearestRank } from '../../../actors/ops/minuteWindows.js';

const T = Date.parse('2026-01-01T12:00:00Z');
const at = (ms: number) => new Date(T + ms).toISOString();
let n = 0;
const sample = (name: string, value: number, ms: number): MetricSampled =>
  ({ id: `s${n++}`, type: 'metric.sampled', key: 'api', at: at(ms), service: 'api', name, value });

function start(machine = metricsAggregatorMachine) {
  const actor = createActor(machine, { input: { key: 'api' } });
  const emitted: Array<Omit<MetricAggregated, 'id'>> = [];
  actor.on('metric.aggregated', (e) => emitted.push(e));
  actor.start();
  return { actor, emitted };
}

describe('metrics aggregator actor', () => {
  it('computes count, min, max, sum, p50 and p99 of a minute exactly (hand-computed case)', () => {
    const { actor, emitted } = start();
    // Sorted: 1 3 5 8 9 12 15 20 27 42. Nearest rank: p50 = 5th = 9, p99 = ⌈9.9⌉ = 10th = 42.
    [15, 3, 9, 27, 1, 42, 8, 5, 12, 20].forEach((v, i) => actor.send(sample('latency_ms', v, i * 5_000)));
    actor.send(sample('latency_ms', 7, 70_000)); // 12:01:10 = end of 12:00 + 10 s grace: closes it
    expect(emitted).to.deep.equal([{
      type: 'metric.aggregated', key: 'api', at: '2026-01-01T12:01:00.000Z', service: 'api', name: 'latency_ms',
      minute: '2026-01-01T12:00:00.000Z', count: 10, min: 1, max: 42, sum: 142, p50: 9, p99: 42, exact: true,
    }]);
    expect(() => metricAggregated.parse({ ...emitted[0], id: 'x' })).to.not.throw();
  });

  it('ranks 1..100 to p50 = 50 and p99 = 99, whatever the arrival order', () => {
    const { actor, emitted } = start();
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    values.forEach((v, i) => actor.send(sample('q', v, i * 500)));
    actor.send(sample('q', 0, 75_000));
    expect(emitted.map(({ count, min, max, p50, p99 }) => ({ count, min, max, p50, p99 }))).to.deep.equal([{ count: 100, min: 1, max: 100, p50: 50, p99: 99 }]);
  });

  it('keeps the minute open through the grace period, for samples that arrive out of order', () => {
    const { actor, emitted } = start();
    actor.send(sample('m', 1, 50_000));
    actor.send(sample('m', 2, 69_999)); // 12:01:09.999: the watermark is not past 12:01:10 yet
    actor.send(sample('m', 3, 59_000)); // late but within grace: counted in 12:00
    expect(emitted).to.have.length(0);
    actor.send(sample('m', 4, 70_000));
    expect(emitted.map((e) => [e.minute, e.count, e.sum])).to.deep.equal([['2026-01-01T12:00:00.000Z', 2, 4]]);
  });

  it('emits a closed minute once; later samples for it are dropped and counted as late', () => {
    const { actor, emitted } = start();
    actor.send(sample('m', 1, 1_000));
    actor.send(sample('m', 1, 130_000)); // closes 12:00 (and 12:01, which is empty)
    actor.send(sample('m', 99, 2_000)); // for 12:00: late
    actor.send(sample('m', 1, 200_000)); // closes 12:02
    expect(emitted.map((e) => [e.minute, e.count, e.max])).to.deep.equal([
      ['2026-01-01T12:00:00.000Z', 1, 1],
      ['2026-01-01T12:02:00.000Z', 1, 1],
    ]);
    expect(actor.getSnapshot().context.late).to.equal(1);
  });

  it('rolls each metric name up separately and closes minutes in order', () => {
    const { actor, emitted } = start();
    actor.send(sample('b', 2, 1_000));
    actor.send(sample('a', 1, 2_000));
    actor.send(sample('a', 5, 61_000));
    actor.send(sample('a', 1, 200_000));
    expect(emitted.map((e) => `${e.minute.slice(11, 16)} ${e.name} ${e.count}`)).to.deep.equal(['12:00 a 1', '12:00 b 1', '12:01 a 1']);
  });

  it('past the value cap keeps count, min, max and sum exact and says the percentiles are not', () => {
    const { actor, emitted } = start(createMetricsAggregator({ maxValues: 4 }));
    [5, 1, 9, 3, 100, 0].forEach((v, i) => actor.send(sample('m', v, i * 1_000)));
    actor.send(sample('m', 0, 80_000));
    const [e] = emitted;
    expect([e.count, e.min, e.max, e.sum, e.exact]).to.deep.equal([6, 0, 100, 118, false]);
    expect([e.p50, e.p99]).to.deep.equal([3, 9]); // of the 4 kept: 1 3 5 9
  });

  it('survives a snapshot round trip with its open minutes', () => {
    const { actor } = start();
    actor.send(sample('m', 4, 1_000));
    actor.send(sample('m', 6, 2_000));
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    const again = createActor(metricsAggregatorMachine, { input: { key: 'api' }, snapshot: persisted });
    const emitted: MetricAggregated[] = [];
    again.on('metric.aggregated', (e) => emitted.push(e as MetricAggregated));
    again.start();
    again.send(sample('m', 1, 90_000));
    expect(emitted.map((e) => [e.count, e.p50])).to.deep.equal([[2, 4]]);
  });

  it('nearest rank on small samples', () => {
    expect(nearestRank([7], 50)).to.equal(7);
    expect(nearestRank([7], 99)).to.equal(7);
    expect(nearestRank([1, 2], 50)).to.equal(1);
    expect(nearestRank([1, 2], 99)).to.equal(2);
  });
});
