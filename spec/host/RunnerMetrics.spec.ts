import { expect } from 'chai';
import { parseExposition } from '../../src/apps/ops/metricsCollector.js';
import { RunnerMetrics } from '../../src/host/RunnerMetrics.js';
import { Metrics } from '../../src/metrics/Metrics.js';

describe('RunnerMetrics', () => {
  it('reports a stage\'s batches as a histogram in seconds', async () => {
    const m = new Metrics();
    const runner = new RunnerMetrics(m, 'social.post');
    runner.batch(100, 3, 4);
    runner.batch(50, 0, 40);
    runner.deadLettered(0);
    runner.deadLettered(2);
    runner.restart();
    const s = Object.fromEntries(parseExposition(await m.render()).map((x) => [x.name, x.value]));
    expect(s).to.deep.include({
      'kastor_events_in_total{stage="social.post"}': 150,
      'kastor_events_out_total{stage="social.post"}': 3,
      'kastor_batch_duration_seconds_bucket{le="0.0025",stage="social.post"}': 0,
      'kastor_batch_duration_seconds_bucket{le="0.005",stage="social.post"}': 1,
      'kastor_batch_duration_seconds_bucket{le="0.05",stage="social.post"}': 2,
      'kastor_batch_duration_seconds_count{stage="social.post"}': 2,
      'kastor_dead_letters_total{stage="social.post"}': 2,
      'kastor_restarts_total{stage="social.post"}': 1,
    });
    expect(s['kastor_batch_duration_seconds_sum{stage="social.post"}']).to.be.closeTo(0.044, 1e-9);
  });
});
