/**
 * Runs the real command line (`bin/kastor.mjs`) to its end, as a user would from a shell, and
 * returns its exit code, output and wall time. Killed after `timeoutMs` (the exit code is then null).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function runCli(args: readonly string[], options: { timeoutMs?: number; stdin?: string } = {}): Promise<CliResult> {
  const started = Date.now();
  const proc = spawn(process.execPath, ['bin/kastor.mjs', ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stdin.end(options.stdin ?? '');
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }));
}

/** A local TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
