import { expect } from 'chai';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { BrokerUnavailable } from '../../src/broker/errors.js';
import { type HttpApp, MAX_BODY_BYTES, createHttpApp } from '../../src/http/createHttpApp.js';
import { HttpError } from '../../src/http/HttpError.js';
import { limitQuery } from '../../src/http/zodValidation.js';
import { createLogger } from '../../src/log/createLogger.js';
import { specKeys } from '../support/auth.js';
import { jsonClient } from '../support/http.js';
import { waitFor } from '../support/waitFor.js';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * POSTs `pieces` as a chunked body (no content-length, no content-type) with node:http, the way a
 * streaming client does; with `expectContinue`, the body waits for the server's `100 Continue`.
 * Resolves with the answer, or the error (a reset) the client got instead.
 */
function chunked(agent: Agent, port: number, pieces: readonly string[], expectContinue = false): Promise<Answer | Error> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'transfer-encoding': 'chunked', ...(expectContinue ? { expect: '100-continue' } : {}) };
    const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/echo', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', resolve);
    let next = 0;
    const write = (): void => {
      while (next < pieces.length) if (!req.write(pieces[next++])) return void req.once('drain', write);
      req.end();
    };
    if (expectContinue) req.once('continue', write);
    else write();
  });
}

const open = { auth: 'public' } as const;

describe('createHttpApp: the HTTP edge on fastify', () => {
  let app: HttpApp;
  let port: number;
  let handled: unknown[];
  let lines: { level: string; message: string }[];
  let release: (() => void) | undefined;
  // A client that keeps its connections open, as most do; destroyed before the server closes.
  const agent = new Agent({ keepAlive: true });
  const call = jsonClient(() => `http://127.0.0.1:${port}`);

  before(async () => {
    handled = [];
    lines = [];
    // The edge's own behaviour, apart from who calls: these routes are public (spec/http/auth.spec.ts has the rest).
    app = createHttpApp({ log: createLogger({ destination: (line) => lines.push(JSON.parse(line)) }), auth: { keys: await specKeys() } });
    app.post('/echo', { config: open, schema: { body: z.object({ userId: z.string().min(1) }).or(z.object({ n: z.number() })) } }, async (req) => {
      handled.push(req.body);
      return { got: req.body };
    });
    app.get('/items/:itemId', { config: open, schema: { params: z.object({ itemId: z.string().regex(/^[a-z]+$/, 'must be lower-case letters') }), querystring: limitQuery(20, 100) }, },
      async (req) => ({ itemId: req.params.itemId, limit: req.query.limit }));
    app.delete('/items/:itemId', { config: open }, async (req, reply) => reply.code(202).send({ deleted: (req.params as { itemId: string }).itemId }));
    app.get('/gone', { config: open }, async () => {
      throw new HttpError(410, 'that one is gone');
    });
    app.post('/refuse', { config: open, schema: { body: z.object({ n: z.number() }) } }, async () => {
      await Promise.resolve();
      throw new HttpError(409, 'not now');
    });
    app.get('/broker-away', { config: open }, async () => {
      throw new BrokerUnavailable('Message timed out');
    });
    app.get('/bug', { config: open }, async () => {
      throw new TypeError('x is undefined');
    });
    app.get('/slow', { config: open }, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  after(async () => {
    agent.destroy();
    // fetch keeps a spare connection open, on which no request ever came: close() would wait for it.
    const closed = app.close();
    app.server.closeAllConnections();
    await closed;
  });
  beforeEach(() => {
    handled = [];
    lines = [];
  });

  describe('bodies', () => {
    it('parses a JSON body that arrives in several chunks, whatever its content type', async () => {
      expect(await chunked(agent, port, ['{"user', 'Id":"al', 'ice"}'])).to.deep.equal({ status: 200, body: '{"got":{"userId":"alice"}}' });
      expect(handled).to.deep.equal([{ userId: 'alice' }]);
    });

    it('says 400 for a missing body, a body that is not JSON, and one the schema refuses, and never runs the route', async () => {
      expect(await call('POST', '/echo')).to.deep.equal({ status: 400, body: { error: 'a JSON body is required' } });
      const bad = await call('POST', '/echo', undefined, '{"userId":');
      expect(bad.status).to.equal(400);
      expect(bad.body.error).to.match(/^body is not JSON: /);
      const wrong = await call('POST', '/echo', { userId: '' });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error).to.match(/^invalid body: /);
      expect((await call('POST', '/echo', undefined, 'null')).body.error).to.match(/^invalid body: /);
      expect(handled).to.deep.equal([]);
    });

    it('says 413 with the reason for a body over the limit with a Content-Length', async () => {
      const r = await app.inject({ method: 'POST', url: '/echo', payload: JSON.stringify({ userId: 'x'.repeat(MAX_BODY_BYTES) }) });
      expect(r.statusCode).to.equal(413);
      expect(r.json()).to.deep.equal({ error: `body is over the ${MAX_BODY_BYTES}-byte limit` });
    });

    for (const expectContinue of [false, true]) {
      it(`says 413 with the reason for a chunked body over the limit${expectContinue ? ' after 100 Continue' : ''}, and goes on serving`, async () => {
        const piece = 'x'.repeat(256 * 1024);
        const pieces = Array.from({ length: (2 * MAX_BODY_BYTES) / piece.length }, () => piece);
        const outcome = await chunked(agent, port, ['{"userId":"', ...pieces, '"}'], expectContinue);
        expect(outcome).to.deep.equal({ status: 413, body: JSON.stringify({ error: `body is over the ${MAX_BODY_BYTES}-byte limit` }) });
        expect(handled).to.deep.equal([]);
        expect((await call('POST', '/echo', { n: 1 })).body).to.deep.equal({ got: { n: 1 } });
      });
    }
  });

  describe('parameters', () => {
    it('hands the route the parsed path and query parameters, and says 400 naming the one that is wrong', async () => {
      expect(await call('GET', '/items/abc?limit=5')).to.deep.equal({ status: 200, body: { itemId: 'abc', limit: 5 } });
      expect((await call('GET', '/items/abc')).body).to.deep.equal({ itemId: 'abc', limit: 20 });
      expect(await call('GET', '/items/ABC')).to.deep.equal({ status: 400, body: { error: 'invalid itemId: must be lower-case letters' } });
      for (const limit of ['0', '101', '1.5', 'abc', '']) {
        expect(await call('GET', `/items/abc?limit=${limit}`), limit).to.deep.equal({ status: 400, body: { error: 'invalid limit: must be an integer from 1 to 100' } });
      }
    });
  });

  describe('errors', () => {
    it('answers an HttpError with its status and reason', async () => {
      expect(await call('GET', '/gone')).to.deep.equal({ status: 410, body: { error: 'that one is gone' } });
    });

    it('answers a retriable broker error with 503 and retry-after: 1', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/broker-away`);
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('1');
      expect(await res.json()).to.deep.equal({ error: 'the broker is unavailable, try again: Message timed out' });
    });

    it('answers anything else with 500, logged at level error; a 4xx is not an error of ours', async () => {
      expect(await call('GET', '/bug')).to.deep.equal({ status: 500, body: { error: 'internal error' } });
      expect(lines.map((l) => [l.level, l.message])).to.deep.equal([['error', 'request failed']]);
      lines = [];
      await call('GET', '/gone');
      await call('POST', '/echo', { userId: '' });
      expect(await call('POST', '/refuse', { n: 1 })).to.deep.equal({ status: 409, body: { error: 'not now' } });
      expect(lines).to.deep.equal([]);
    });

    it('says 404 for an unknown path and 405 for a known path with another method', async () => {
      expect(await call('GET', '/nowhere?x=1')).to.deep.equal({ status: 404, body: { error: 'no route for GET /nowhere' } });
      expect(await call('PUT', '/items/abc')).to.deep.equal({ status: 405, body: { error: 'method PUT not allowed on /items/abc' } });
      expect((await call('DELETE', '/items/abc')).status).to.equal(202);
    });
  });

  describe('a client that goes away', () => {
    it('is logged at info, not as an error, when it aborts while sending its body', async () => {
      const arrived = new Promise((resolve) => app.server.once('request', resolve));
      const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/echo', headers: { 'transfer-encoding': 'chunked' } });
      req.on('error', () => undefined);
      req.write('{"userId":"al');
      await arrived;
      req.destroy();
      await waitFor(() => lines.length > 0, { message: () => `a log line (got ${JSON.stringify(lines)})` });
      expect(lines.map((l) => [l.level, l.message])).to.deep.equal([['info', 'client went away']]);
      expect(handled).to.deep.equal([]);
    });

    it('is not logged at all when it aborts while the route works', async () => {
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${port}/slow`, { signal: controller.signal }).catch((e: Error) => e);
      await waitFor(() => release !== undefined);
      controller.abort();
      expect(await pending).to.be.instanceOf(Error);
      release?.();
      expect((await call('GET', '/items/abc')).status).to.equal(200);
      expect(lines).to.deep.equal([]);
    });
  });
});
