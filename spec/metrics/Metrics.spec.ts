import { expect } from 'chai';
import { register as globalRegistry } from 'prom-client';
import { Metrics } from '../../src/metrics/Metrics.js';
import { parseExposition } from '../../src/apps/ops/metricsCollector.js';

async function series(m: Metrics): Promise<Record<string, number>> {
  return Object.fromEntries(parseExposition(await m.render()).map((s) => [s.name, s.value]));
}

describe('Metrics (prom-client)', () => {
  it('counts by the label names of the first labels seen, and renders them in Prometheus text', async () => {
    const m = new Metrics();
    const batches = m.counter('kastor_batches_total', 'batches');
    batches({ stage: 'a' });
    batches({ stage: 'a' }, 4);
    batches({ stage: 'b' });
    const text = await m.render();
    expect(text).to.include('# HELP kastor_batches_total batches\n# TYPE kastor_batches_total counter\n');
    expect(await series(m)).to.deep.equal({ 'kastor_batches_total{stage="a"}': 5, 'kastor_batches_total{stage="b"}': 1 });
    expect(m.value('kastor_batches_total', { stage: 'a' })).to.equal(5);
    expect(m.value('kastor_batches_total')).to.equal(6);
    expect(m.value('kastor_nothing_total')).to.equal(0);
  });

  it('binds a label set once: the bound updater feeds the same series', async () => {
    const m = new Metrics();
    const events = m.counter('kastor_events_total', 'events', ['stage', 'partition']);
    const p0 = events.labels({ stage: 's', partition: '0' });
    p0();
    p0(9);
    events({ stage: 's', partition: '0' });
    events({ stage: 's', partition: '1' }, 2);
    expect(await series(m)).to.deep.equal({
      'kastor_events_total{stage="s",partition="0"}': 11, 'kastor_events_total{stage="s",partition="1"}': 2,
    });
    expect(m.value('kastor_events_total', { partition: '0' })).to.equal(11);
  });

  it('counts without labels', async () => {
    const m = new Metrics();
    const rounds = m.counter('kastor_rounds_total', 'rounds');
    rounds();
    rounds.labels()(2);
    expect(await series(m)).to.deep.equal({ kastor_rounds_total: 3 });
  });

  it('sets gauges, keeping the last value per label set', async () => {
    const m = new Metrics();
    const live = m.gauge('kastor_live_actors', 'live');
    live({ stage: 'x' }, 10);
    live({ stage: 'x' }, 7);
    live.labels({ stage: 'y' })(3);
    expect(await series(m)).to.deep.equal({ 'kastor_live_actors{stage="x"}': 7, 'kastor_live_actors{stage="y"}': 3 });
    expect(m.value('kastor_live_actors')).to.equal(10);
  });

  it('observes histograms into cumulative buckets; value() is the count', async () => {
    const m = new Metrics();
    const h = m.histogram('kastor_wait_seconds', 'wait', ['stage'], [0.01, 0.1, 1]).labels({ stage: 's' });
    for (const x of [0.005, 0.05, 0.05, 0.5, 5]) h(x);
    const s = await series(m);
    expect(s).to.deep.include({
      'kastor_wait_seconds_bucket{le="0.01",stage="s"}': 1,
      'kastor_wait_seconds_bucket{le="0.1",stage="s"}': 3,
      'kastor_wait_seconds_bucket{le="1",stage="s"}': 4,
      'kastor_wait_seconds_bucket{le="+Inf",stage="s"}': 5,
      'kastor_wait_seconds_count{stage="s"}': 5,
    });
    expect(s['kastor_wait_seconds_sum{stage="s"}']).to.be.closeTo(5.605, 1e-9);
    expect(m.value('kastor_wait_seconds', { stage: 's' })).to.equal(5);
  });

  it('gives each instance its own registry; a name defined again is the same series', async () => {
    const before = globalRegistry.getMetricsAsArray().length;
    const a = new Metrics();
    const b = new Metrics();
    a.counter('kastor_x_total', 'x')({ stage: 's' });
    a.counter('kastor_x_total', 'x again')({ stage: 's' });
    b.counter('kastor_x_total', 'x')({ stage: 's' }, 5);
    expect(a.value('kastor_x_total')).to.equal(2);
    expect(b.value('kastor_x_total')).to.equal(5);
    expect(globalRegistry.getMetricsAsArray()).to.have.length(before);
  });

  it('refuses a name reused as another kind or with other label names, and labels outside the set', () => {
    const m = new Metrics();
    m.counter('kastor_y_total', 'y', ['stage']);
    expect(() => m.gauge('kastor_y_total', 'y')).to.throw(/already defined as a counter/);
    expect(() => m.counter('kastor_y_total', 'y', ['topic'])).to.throw(/other label names/);
    expect(() => m.counter('kastor_y_total', 'y')({ stage: 's', topic: 't' })).to.throw(/topic/);
  });

  it('adds the default process and event-loop metrics only when asked', async () => {
    const withProcess = await new Metrics({ processMetrics: true }).render();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(withProcess).to.match(new RegExp(`^${name} `, 'm'));
    }
    expect(await new Metrics().render()).to.not.include('process_cpu_seconds_total');
  });

  it('names the exposition content type', () => {
    expect(new Metrics().contentType).to.match(/^text\/plain; version=0\.0\.4/);
  });
});
