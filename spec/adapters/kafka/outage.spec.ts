/**
 * A broker that is down for 20 s does not crash a process using the kafka adapter: librdkafka
 * retries, errors are logged, a send made during the outage completes once the broker is back,
 * and a group member goes on reading.
 *
 * Disruptive (it stops the local broker started by scripts/kafka.sh), so on a developer's machine it
 * runs only when asked; CI (`.ci/run`, which starts a broker of its own) always runs it:
 *   KAFKA_DISRUPTIVE=1 npx mocha --no-config --node-option import=tsx --exit spec/adapters/kafka/outage.spec.ts
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { GroupReader } from '../../support/GroupReader.js';
import { describeKafka } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { KafkaFixture, unique } from './fixture.js';
import { skipFor } from '../../support/skipTally.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const kafkaSh = (...args: string[]) =>
  promisify(execFile)('bash', [path.join(REPO, 'scripts/kafka.sh'), ...args], { cwd: REPO, timeout: 120_000 });

const OUTAGE_MS = 20_000;

describeKafka('kafka adapter: a 20 s broker outage', function () {
  this.timeout(180_000);
  let fx: KafkaFixture;

  before(function () {
    if (!process.env.KAFKA_DISRUPTIVE && !process.env.CI) {
      skipFor(this, 'broker-stopping', 'stops the local broker for 20 s; set KAFKA_DISRUPTIVE=1 to run it; CI always does');
    }
  });
  beforeEach(() => (fx = new KafkaFixture()));
  afterEach(async () => {
    await kafkaSh('start-node', '1').catch(() => undefined);
    await fx.teardown();
  });

  it('survives it: a send made during the outage completes afterwards, and the reader goes on', async () => {
    const broker = fx.broker();
    const t = await fx.topic('outage', 2);
    const producer = broker.producer();
    const reader = new GroupReader(broker.consumer({ groupId: unique('group'), topics: [t] }));
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: t, key: `k${i}`, value: `before-${i}` })));
    await waitFor(() => reader.records.length === 10, { timeoutMs: 30_000, message: 'the records sent before' });

    await kafkaSh('stop-node', '1');
    const down = Date.now();
    let settled = false;
    const during = producer
      .send(Array.from({ length: 10 }, (_, i) => ({ topic: t, key: `k${i}`, value: `during-${i}` })))
      .finally(() => (settled = true));
    // The outage lasts OUTAGE_MS; the send must neither fail nor resolve meanwhile.
    await waitFor(() => settled || Date.now() - down >= OUTAGE_MS, { timeoutMs: OUTAGE_MS + 5_000 });
    expect(settled, 'the send settled while the broker was down').to.equal(false);
    await kafkaSh('start-node', '1');

    const sent = await during;
    expect(sent.every((m) => m.offset >= 0)).to.equal(true);
    await waitFor(() => reader.records.filter((r) => r.value!.startsWith('during-')).length === 10, {
      timeoutMs: 60_000,
      message: () => `the records sent during the outage, got ${reader.records.length - 10}`,
    });
    expect(fx.logger.lines.some((l) => l.level === 'error' && l.message === 'librdkafka error')).to.equal(true);
    await reader.close();
  });
});
