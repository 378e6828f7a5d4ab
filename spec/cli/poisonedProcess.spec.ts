/**
 * The process-level end of supervision (SPEC §1): a stage that keeps failing is restarted by its
 * supervisor a few times; when the policy gives up, the process logs the stage and the cause and
 * exits 1 through the fatal-exit path `kastor run` uses, for the outer supervisor to restart it.
 * The healthy stage of the same process committed its records before the exit.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { counterTopics } from '../support/counterApp.js';
import { waitFor } from '../support/waitFor.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const RECORDS = 40;

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly stage?: string;
  readonly error?: { name: string; message: string };
}

describe('a process whose stage supervisor gives up', function () {
  this.timeout(30_000);

  it('exits 1 with a log line naming the stage and the cause; the healthy stage committed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kastor-poisoned-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'spec/cli/poisonedProcess.ts', dir, String(RECORDS)], {
        cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'],
      });
      const lines: string[] = [];
      createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
      let code: number | null | undefined;
      child.once('exit', (c) => (code = c));
      try {
        await waitFor(() => code !== undefined, { timeoutMs: 20_000, message: () => `the child to exit; logs:\n${lines.join('\n')}` });
      } finally {
        child.kill('SIGKILL');
      }
      const logs = lines.flatMap((l): LogLine[] => {
        try {
          return [JSON.parse(l) as LogLine];
        } catch {
          return [];
        }
      });
      expect(code, lines.join('\n')).to.equal(1);

      const restarts = logs.filter((l) => l.message === 'stage failed; restarting it after a backoff');
      expect(restarts.map((l) => l.stage), 'restarts before giving up').to.deep.equal(['spec.audit', 'spec.audit']);
      const fatal = logs.filter((l) => l.message === 'fatal fault, exiting');
      expect(fatal, 'one fatal line').to.have.length(1);
      expect(fatal[0].level).to.equal('error');
      expect(fatal[0].error?.name).to.equal('StageGaveUp');
      expect(fatal[0].error?.message).to.include('stage spec.audit').and.include('no such table: audit_trail');
      expect(logs.findIndex((l) => l.message === 'fatal fault, exiting')).to.be.greaterThan(logs.lastIndexOf(restarts[1]));
      expect(logs.some((l) => l.message === 'stopped'), 'drained before exiting').to.equal(true);

      // The state file the process left: the counter stage consumed everything, the audit stage nothing.
      const store = new SqliteStateStore(path.join(dir, 'state.db'));
      try {
        const tps = Array.from({ length: counterTopics.input.partitions }, (_, partition) => ({ topic: counterTopics.input.name, partition }));
        const committed = (stage: string) => [...store.stage(stage).offsets(tps).values()].reduce((a, b) => a + b, 0);
        expect(committed('spec.counter')).to.equal(RECORDS);
        expect(committed('spec.audit')).to.equal(0);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
