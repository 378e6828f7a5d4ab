import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, closedPort, runCli } from './runCli.js';

// Every command that needs a broker fails within 30 s, exit 1, with one line naming the broker
// address and what to do, instead of hanging or retrying for ever. No broker needed.
describe('kastor without a Kafka broker', function () {
  this.timeout(60_000);
  let dataDir: string;
  let brokers: string;
  const results = new Map<string, CliResult>();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kastor-nobroker-'));
    brokers = `127.0.0.1:${await closedPort()}`;
    // The three at once: each waits out the same 10 s probe.
    const commands: Record<string, string[]> = {
      run: ['run', 'all', '--transport', 'kafka', '--brokers', brokers, '--data', dataDir, '--port', '0'],
      'topics create': ['topics', 'create', 'all', '--transport', 'kafka', '--brokers', brokers],
      'logs forward': ['logs', 'forward', '-', '--service', 'api', '--transport', 'kafka', '--brokers', brokers],
    };
    await Promise.all(Object.entries(commands).map(async ([name, args]) =>
      results.set(name, await runCli(args, { timeoutMs: 45_000, stdin: 'a log line\n' }))));
  });

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const name of ['run', 'topics create', 'logs forward']) {
    it(`${name}: exits 1 within 30 s with one line naming the broker and what to do`, () => {
      const r = results.get(name)!;
      expect(r.code, r.stderr).to.equal(1);
      expect(r.ms).to.be.below(30_000);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.include(`no Kafka broker answered at ${brokers}`);
      expect(lines[0]).to.include('npm run kafka:start').and.include('--brokers host:port');
    });
  }
});
