import { availableParallelism } from 'node:os';
import { expect } from 'chai';
import { CommanderError } from 'commander';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../src/cli/commands/run.js';
import { DEFAULT_RATE_LIMITS, type KeyRing, loadKeyRing } from '../../src/http/auth/index.js';
import { type RunOptions, type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { Tokens } from '../support/auth.js';
import { postJson } from '../support/childProcess.js';
import { waitFor } from '../support/waitFor.js';
import { runCli } from './runCli.js';

/** What `kastor run <args>` would start the process with. */
async function parsed(args: string[]): Promise<RunOptions> {
  let options: RunOptions | undefined;
  const command = runCommand(async (o) => void (options = o)).exitOverride().configureOutput({ writeErr: () => undefined });
  await command.parseAsync(args, { from: 'user' });
  return options!;
}

describe('kastor run: start-up options', function () {
  // The processes start in this one: their info lines would only clutter the spec's output.
  const level = process.env.KASTOR_LOG_LEVEL;
  before(() => (process.env.KASTOR_LOG_LEVEL = 'warn'));
  after(() => (level === undefined ? delete process.env.KASTOR_LOG_LEVEL : (process.env.KASTOR_LOG_LEVEL = level)));
  this.timeout(60_000);

  it('keeps the defaults, and takes --profile, --max-live-actors and --workers', async () => {
    expect(await parsed([])).to.deep.equal({
      apps: [], transport: 'memory', brokers: '127.0.0.1:9092', dataDir: './data', port: 8080, host: '0.0.0.0',
      changelogs: false, profile: 'local', maxLiveActors: 10_000,
      auth: { keyFile: undefined, previousKeyFile: undefined, rateLimits: DEFAULT_RATE_LIMITS },
      workers: availableParallelism(), workersExplicit: false,
    });
    expect(await parsed(['--workers', '3'])).to.deep.include({ workers: 3, workersExplicit: true });
    expect(await parsed(['social', 'bank', '--transport', 'kafka', '--profile', 'production', '--max-live-actors', '500', '--port', '0']))
      .to.deep.include({ apps: ['social', 'bank'], transport: 'kafka', changelogs: true, profile: 'production', maxLiveActors: 500, port: 0 });
    expect(await parsed(['--transport', 'kafka', '--changelogs', 'off'])).to.deep.include({ changelogs: false });
    expect((await parsed(['--auth-key', 'k.pem', '--auth-previous-key', 'old.pem', '--rate-limit', 'user=5/10,service=100/200'])).auth).to.deep.equal({
      keyFile: 'k.pem', previousKeyFile: 'old.pem',
      rateLimits: { ...DEFAULT_RATE_LIMITS, user: { perSecond: 5, burst: 10 }, service: { perSecond: 100, burst: 200 } },
    });
    for (const bad of [['--profile', 'staging'], ['--max-live-actors', '-3'], ['--max-live-actors', 'lots'],
      ['--rate-limit', 'robot=1/1'], ['--rate-limit', 'user=fast'], ['--rate-limit', 'user=0/5'], ['--workers', '0']]) {
      await parsed(bad).then(
        () => expect.fail(`${bad.join(' ')} was accepted`),
        (e: unknown) => expect(e).to.be.instanceOf(CommanderError).with.property('code', 'commander.invalidArgument'),
      );
    }
  });

  it('--auth-key and --auth-previous-key reach the edge: during a rotation the tokens of both keys are accepted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kastor-rotation-'));
    let p: RunningProcess | undefined;
    try {
      const write = (name: string, pem: string | Buffer) => {
        writeFileSync(join(dataDir, name), pem, { mode: 0o600 });
        return join(dataDir, name);
      };
      const previous = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const current = write('current.pem', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const previousPublic = write('previous.pub.pem', previous.publicKey.export({ type: 'spki', format: 'pem' }));
      const oldRing = await loadKeyRing({ dataDir, keyFile: write('previous.pem', previous.privateKey.export({ type: 'pkcs8', format: 'pem' })) });
      p = await startProcess(await parsed(['social', '--data', dataDir, '--port', '0', '--host', '127.0.0.1',
        '--auth-key', current, '--auth-previous-key', previousPublic]));
      const feed = async (keys: KeyRing) => (await fetch(`http://127.0.0.1:${p!.port}/social/feed`, {
        headers: { authorization: `Bearer ${await keys.issue({ sub: 'alice', role: 'user' }, { now: Date.now(), ttlMs: 60_000 })}` },
      })).status;
      expect(await feed(oldRing), 'a token of the previous key').to.equal(200);
      expect(await feed(await loadKeyRing({ dataDir, keyFile: current })), 'a token of the current key').to.equal(200);
      expect(await feed(await loadKeyRing({ dataDir })), 'a token of the embedded key, not in use').to.equal(401);
    } finally {
      await p?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('--profile reaches the topics the runtime creates: production asks for 3 replicas', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kastor-profile-'));
    try {
      // The embedded log is one broker: a production topic (3 replicas) cannot be placed on it.
      const r = await runCli(['run', 'social', '--profile', 'production', '--data', dataDir, '--port', '0', '--host', '127.0.0.1']);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.include('replication factor 3 is larger than the 1 broker(s) available');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('--max-live-actors reaches the actor hosts', () => {
    let dataDir: string;
    let p: RunningProcess | undefined;
    let tokens: Tokens;
    beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'kastor-maxlive-'))));
    afterEach(async () => {
      await p?.stop();
      p = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function startWithFourPosts(maxLiveActors: number | undefined): Promise<RunningProcess> {
      // One worker: the spec looks at the actor host on this thread.
      const options = await parsed(['social', '--data', dataDir, '--port', '0', '--host', '127.0.0.1', '--workers', '1',
        ...(maxLiveActors === undefined ? [] : ['--max-live-actors', String(maxLiveActors)])]);
      p = await startProcess(options);
      const base = `http://127.0.0.1:${p.port}`;
      tokens = await Tokens.ofDataDir(dataDir);
      for (let i = 0; i < 4; i++) {
        const response = await postJson(base, '/social/posts', { userId: `u${i}`, text: 'hello', hashtags: [] }, { headers: await tokens.header(`u${i}`) });
        expect(response.status).to.be.oneOf([200, 201, 202]);
      }
      return p;
    }

    /** Post actors evicted to the store so far, as /metrics reports them. */
    async function passivations(q: RunningProcess): Promise<number> {
      const text = await (await fetch(`http://127.0.0.1:${q.port}/metrics`, { headers: await tokens.header('ops', 'admin') })).text();
      const line = text.split('\n').find((l) => l.startsWith('kastor_passivations_total{') && l.includes('stage="social.post"'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    }

    it('default: the four post actors stay in memory', async () => {
      const q = await startWithFourPosts(undefined);
      await waitFor(() => q.runtime!.host('social', 'post').liveActors === 4, { timeoutMs: 15_000, message: () => 'four live post actors' });
      expect(await passivations(q)).to.equal(0);
    });

    it('--max-live-actors 1: the others are passivated to the store', async () => {
      const q = await startWithFourPosts(1);
      await waitFor(async () => (await passivations(q)) >= 3, { timeoutMs: 15_000, message: () => 'three post actors passivated' });
      expect(q.runtime!.host('social', 'post').liveActors).to.be.at.most(1);
    });
  });
});
