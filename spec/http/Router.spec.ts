import { expect } from 'chai';
import { type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES, Router } from '../../src/http/Router.js';
import { jsonClient } from '../support/http.js';

/** Sends `chunks` as a chunked body (no content-length); resolves with the status, or the error. */
function chunked(port: number, chunks: readonly string[]): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/echo' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', resolve);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('Router: request bodies', () => {
  let server: Server;
  let port: number;
  let handled: unknown[];
  const call = jsonClient(() => `http://127.0.0.1:${port}`);

  before(async () => {
    handled = [];
    const router = new Router().post('/echo', (req) => {
      handled.push(req.body);
      return { status: 200, body: { got: req.body } };
    });
    server = createServer(router.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('parses a JSON body that arrives in several chunks', async () => {
    expect(await chunked(port, ['{"user', 'Id":"al', 'ice"}'])).to.equal(200);
    expect(handled).to.deep.equal([{ userId: 'alice' }]);
  });

  it('hands a request without a body undefined, and a bad one a 400', async () => {
    expect((await call('POST', '/echo')).body).to.deep.equal({});
    const bad = await call('POST', '/echo', undefined, '{"userId":');
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.match(/not JSON/);
  });

  it('never hands the route a streamed body past the limit, and goes on serving', async () => {
    handled = [];
    const piece = 'x'.repeat(256 * 1024);
    const outcome = await chunked(port, Array.from({ length: MAX_BODY_BYTES / piece.length + 2 }, () => piece));
    if (typeof outcome === 'number') expect(outcome).to.equal(413);
    expect(handled).to.deep.equal([]);
    expect((await call('POST', '/echo', { n: 1 })).body).to.deep.equal({ got: { n: 1 } });
  });
});
