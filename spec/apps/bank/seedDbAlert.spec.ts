import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KastorChild, postJson, startKastor, stopKastor } from '../../support/childProcess.js';
import { waitForValue } from '../../support/waitFor.js';
import { runCli } from '../../cli/runCli.js';

interface Alert {
  readonly transactionId: string;
  readonly amountCents: number;
}

// The README's bank example, in its order, through the real processes: set a threshold, seed the
// source database, and an alert comes (the rows are stamped after the threshold was set).
describe('README bank example: threshold, then seed-db, then an alert', function () {
  this.timeout(90_000);
  let dataDir: string;
  let child: KastorChild | undefined;

  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'kastor-readme-bank-'))));
  afterEach(async () => {
    if (child) await stopKastor(child);
    child = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('alerts user_001 for a seeded transaction above the threshold', async () => {
    // The embedded key, and a token from `kastor token issue` on the same data directory, as the README has it.
    child = await startKastor({ dataDir, args: ['bank'], env: { KASTOR_BANK_CDC_INTERVAL_MS: '200' }, embeddedKey: true });
    const issued = await runCli(['token', 'issue', '--sub', 'user_001', '--role', 'user', '--data', dataDir]);
    expect(issued.code, issued.stderr).to.equal(0);
    const headers = { authorization: `Bearer ${issued.stdout.trim()}` };
    const set = await postJson(child.base, '/bank/users/user_001/threshold', { amountCents: 100_000 }, { headers });
    expect(set.status, await set.text()).to.be.within(200, 299);

    const seeded = await runCli(['bank', 'seed-db', '--data', dataDir, '--count', '200', '--users', '5', '--malformed', '3']);
    expect(seeded.code, seeded.stderr).to.equal(0);
    expect(seeded.stdout).to.include('inserted 203 rows (3 malformed)');

    const alerts = await waitForValue(async () => {
      const r = await fetch(`${child!.base}/bank/users/user_001/alerts`, { headers });
      const { items } = (await r.json()) as { items: Alert[] };
      return items.length > 0 ? items : undefined;
    }, { timeoutMs: 30_000, message: () => `an alert for user_001; logs:\n${child!.logs.slice(-20).join('\n')}` });
    expect(alerts.every((a) => a.amountCents > 100_000)).to.equal(true);
  });
});
