/**
 * `kastor run` as a child process, the way a supervisor starts it: `bin/kastor.mjs run ...` on
 * port 0, ready once its "kastor running" JSON log line names the port. Every stderr line is kept
 * for failure messages. A child a spec forgets is killed when the spec process exits.
 *
 * The child verifies tokens with one Ed25519 key for the whole spec run (`--auth-key`), so that the
 * tokens of `child.tokens` hold for every child whatever its data directory.
 *
 * On a shared broker, `startAtTheEnd` prepares a fresh data directory whose stages begin at the
 * topics' current end instead of re-deriving (and re-emitting into the shared topics) everything
 * earlier runs left there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import type { Admin } from '../../src/broker/Broker.js';
import type { AppDefinition } from '../../src/host/AppDefinition.js';
import { repartitionTopic } from '../../src/host/topology.js';
import { loadKeyRing } from '../../src/http/auth/index.js';
import { settleWorkerCount, workerStateFiles } from '../../src/cli/workers/layout.js';
import { Tokens } from './auth.js';
import { waitFor } from './waitFor.js';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface KastorChild {
  readonly proc: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly logs: string[];
  /** The exit code; null when a signal ended the process. */
  readonly exit: Promise<number | null>;
  /** Tokens the child accepts. */
  readonly tokens: Tokens;
}

export interface StartOptions {
  readonly dataDir: string;
  /** Apps and flags after `run` (default: `social`). */
  readonly args?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Bound on reaching "kastor running" (default 30 s). */
  readonly timeoutMs?: number;
  /** Verify with the data directory's embedded key instead of the spec run's `--auth-key`. */
  readonly embeddedKey?: boolean;
}

let keyDir: string | undefined;
let specTokens: Promise<Tokens> | undefined;

/** The spec run's Ed25519 key file (mode 0600), made on first use. */
export function childKeyFile(): string {
  if (!keyDir) {
    keyDir = mkdtempSync(path.join(tmpdir(), 'kastor-spec-key-'));
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path.join(keyDir, 'ed25519.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return path.join(keyDir, 'ed25519.pem');
}

/** Tokens signed with `childKeyFile()`. */
export function childTokens(): Promise<Tokens> {
  specTokens ??= loadKeyRing({ dataDir: tmpdir(), keyFile: childKeyFile() }).then((keys) => new Tokens(keys));
  return specTokens;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of alive) proc.kill('SIGKILL');
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

export async function startKastor(options: StartOptions): Promise<KastorChild> {
  const key = options.embeddedKey ? [] : ['--auth-key', childKeyFile()];
  const args = ['bin/kastor.mjs', 'run', ...(options.args ?? ['social']), '--data', options.dataDir, '--port', '0', '--host', '127.0.0.1', ...key];
  const tokens = options.embeddedKey ? undefined : await childTokens();
  const proc = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  alive.add(proc);
  const logs: string[] = [];
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      exited = true;
      alive.delete(proc);
      resolve(code);
    }),
  );
  let port: number | undefined;
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    logs.push(line);
    try {
      const entry = JSON.parse(line) as { message?: string; port?: number };
      if (entry.message === 'kastor running') port = entry.port;
    } catch {
      // not a JSON line
    }
  });
  try {
    await waitFor(() => port !== undefined || exited, {
      timeoutMs: options.timeoutMs ?? 30_000,
      message: () => `the child to listen; logs:\n${logs.join('\n')}`,
    });
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  if (port === undefined) throw new Error(`the child exited before listening; logs:\n${logs.join('\n')}`);
  return { proc, base: `http://127.0.0.1:${port}`, logs, exit, tokens: tokens ?? await Tokens.ofDataDir(options.dataDir) };
}

/** Signals the child and waits for it to exit (SIGKILL after `timeoutMs`); its exit code. */
export async function stopKastor(child: KastorChild, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.exit;
  child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  try {
    return await child.exit;
  } finally {
    clearTimeout(timer);
  }
}

export interface RequestOptions {
  /** `authorization` and any other header. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborts the request (the promise then rejects). */
  readonly timeoutMs?: number;
}

/** POSTs a JSON body. */
export function postJson(base: string, route: string, body: unknown, options: RequestOptions = {}): Promise<Response> {
  return fetch(base + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
  });
}

/** Stage name → the topics it reads, named as src/host/Runtime.ts names its stages. */
export function stageTopics(app: AppDefinition): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  for (const entity of app.entities) {
    const reads: string[] = [];
    for (const input of entity.inputs) {
      const target = repartitionTopic(app.name, input);
      if (target) stages.set(`${app.name}.${entity.name}.repartition.${input.topic.name}`, [input.topic.name]);
      reads.push(target?.name ?? input.topic.name);
    }
    stages.set(`${app.name}.${entity.name}`, reads);
  }
  for (const projection of app.projections ?? []) stages.set(projection.name, [...projection.inputs.keys()]);
  for (const stage of app.stages ?? []) stages.set(stage.name, [...stage.topics]);
  return stages;
}

/**
 * Stores, through the state store port, every stage's offset at the high watermark of each
 * partition it reads (topics that do not exist yet start at 0 anyway), in the file of the worker
 * that owns the partition when the process will run `workers` of them. Returns the stage names.
 */
export async function startAtTheEnd(dataDir: string, app: AppDefinition, admin: Admin, workers = 1): Promise<string[]> {
  settleWorkerCount(dataDir, workers, true);
  const stores = workerStateFiles(dataDir, workers).map((file) => new SqliteStateStore(file));
  try {
    const stages = stageTopics(app);
    for (const [stage, topics] of stages) {
      for (const topic of topics) {
        const description = await admin.describeTopic(topic);
        if (!description) continue;
        const offsets = await Promise.all(
          Array.from({ length: description.partitions }, async (_, partition) =>
            ({ topic, partition, offset: (await admin.watermarks({ topic, partition })).high })),
        );
        stores.forEach((store, worker) => store.stage(stage).commit({
          snapshots: [], outbox: [], offsets: offsets.filter((o) => o.partition % workers === worker),
        }));
      }
    }
    return [...stages.keys()];
  } finally {
    for (const store of stores) store.close();
  }
}
