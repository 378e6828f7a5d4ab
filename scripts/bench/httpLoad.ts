/**
 * An open-loop HTTP load for the latency benchmark: requests are started on a schedule (so a slow
 * server meets the same offered rate, not a politely waiting client), over keep-alive connections.
 * Also the small JSON client the setup steps use. Requests `as` a subject carry its bearer token,
 * signed with the server's key ring (each subject's token is signed once, then reused).
 */
import { Agent, request } from 'node:http';
import type { KeyRing, Principal } from '../../src/http/auth/index.js';
import { now, sleep } from './measure.js';

export class HttpClient {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(private readonly port: number, private readonly keys?: KeyRing) {}

  async call(method: string, path: string, body?: unknown, as?: Principal): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {};
    if (as) headers.authorization = `Bearer ${await this.token(as)}`;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method, path, agent: this.agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        res.on('error', reject);
      });
      req.on('error', reject);
      // A server that stopped answering fails the request instead of hanging the benchmark.
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private token(as: Principal): Promise<string> {
    if (!this.keys) throw new Error('this client has no key ring to sign tokens with');
    const id = `${as.role}:${as.sub}`;
    let token = this.tokens.get(id);
    if (!token) this.tokens.set(id, (token = this.keys.issue(as, { now: Date.now(), ttlMs: 3_600_000 })));
    return token;
  }
}

export interface LoadReport {
  readonly offered: number;
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  /** Requests completed per second over the run. */
  readonly achieved: number;
  /** Request → response, ms, sorted. */
  readonly responseMs: number[];
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
}

/**
 * Offers `rate` requests per second for `seconds`; each request is `next(i)`. Stops offering more
 * while `maxInFlight` are outstanding (counted as not sent: the rate was not sustained).
 */
export async function openLoop(
  client: HttpClient,
  rate: number,
  seconds: number,
  next: (i: number) => { method: string; path: string; body?: unknown; as?: Principal },
  maxInFlight = 2_000,
): Promise<LoadReport> {
  const responseMs: number[] = [];
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let inFlight = 0;
  let peak = 0;
  const t0 = now();
  const end = t0 + seconds * 1000;
  while (now() < end) {
    const due = Math.min(Math.floor(((now() - t0) / 1000) * rate), Math.ceil(seconds * rate));
    while (sent < due && inFlight < maxInFlight) {
      const r = next(sent++);
      const started = now();
      inFlight++;
      peak = Math.max(peak, inFlight);
      client.call(r.method, r.path, r.body, r.as).then(
        (res) => {
          inFlight--;
          if (res.status >= 300) failed++;
          else completed++;
          responseMs.push(now() - started);
        },
        () => {
          inFlight--;
          failed++;
        },
      );
    }
    await sleep(1);
  }
  const drainUntil = now() + 30_000;
  while (inFlight > 0 && now() < drainUntil) await sleep(5);
  const elapsed = (now() - t0) / 1000;
  return {
    offered: rate, sent, completed, failed,
    achieved: completed / elapsed,
    responseMs: responseMs.sort((a, b) => a - b),
    maxInFlight: peak,
  };
}
