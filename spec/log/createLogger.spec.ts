import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/log/createLogger.js';

const TIME = '2026-01-01T12:00:00.000Z';

function capture(level?: string) {
  const lines: string[] = [];
  const log = createLogger({ level, destination: (l) => lines.push(l), now: () => TIME });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('createLogger (pino)', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.KASTOR_LOG_LEVEL;
    delete process.env.KASTOR_LOG_LEVEL;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.KASTOR_LOG_LEVEL;
    else process.env.KASTOR_LOG_LEVEL = saved;
  });

  it('writes one JSON object a line: ISO time, level label, message, fields; synchronously', () => {
    const { log, lines, parsed } = capture();
    log.info('batch committed', { records: 12 });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.not.include('\n');
    expect(parsed()[0]).to.deep.equal({ level: 'info', time: TIME, records: 12, message: 'batch committed' });
  });

  it('stamps the wall clock in ISO 8601 by default', () => {
    const lines: string[] = [];
    const before = Date.now();
    createLogger({ destination: (l) => lines.push(l) }).warn('w');
    const time = JSON.parse(lines[0]).time;
    expect(time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(time)).to.be.within(before, Date.now());
  });

  it('carries a child\'s fields on every line of the child, not the parent\'s', () => {
    const { log, parsed } = capture();
    const stage = log.child({ stage: 'social.post' });
    stage.child({ partition: 3 }).warn('slow batch');
    log.info('parent');
    expect(parsed()).to.deep.equal([
      { level: 'warn', time: TIME, stage: 'social.post', partition: 3, message: 'slow batch' },
      { level: 'info', time: TIME, message: 'parent' },
    ]);
  });

  it('drops lines below its level: info by default, KASTOR_LOG_LEVEL or the option to change it', () => {
    const byDefault = capture();
    byDefault.log.debug('hidden');
    byDefault.log.error('shown');
    expect(byDefault.parsed().map((l) => l.message)).to.deep.equal(['shown']);

    process.env.KASTOR_LOG_LEVEL = 'debug';
    const fromEnv = capture();
    fromEnv.log.debug('now shown');
    expect(fromEnv.parsed().map((l) => [l.level, l.message])).to.deep.equal([['debug', 'now shown']]);

    const quiet = capture('warn');
    quiet.log.info('hidden');
    quiet.log.warn('shown');
    expect(quiet.parsed().map((l) => l.message)).to.deep.equal(['shown']);
  });

  it('refuses an unknown level, naming the variable', () => {
    process.env.KASTOR_LOG_LEVEL = 'verbose';
    expect(() => createLogger({ destination: () => {} })).to.throw(/"verbose" \(KASTOR_LOG_LEVEL\)/);
  });

  it('serializes an error under `error` with name, message and stack', () => {
    const { log, parsed } = capture();
    log.error('stage failed', { error: new TypeError('boom') });
    const { error } = parsed()[0];
    expect(error.name).to.equal('TypeError');
    expect(error.message).to.equal('boom');
    expect(error.stack).to.match(/^TypeError: boom\n\s+at /);
  });

  it('redacts secrets, in fields and in child bindings, and masks passwords in connection URLs', () => {
    const { log, parsed } = capture();
    log.child({ password: 'in-binding' }).info('request', {
      authorization: 'Bearer a',
      headers: { authorization: 'Bearer b', accept: 'json' },
      req: { headers: { authorization: 'Bearer c' } },
      token: 't', key: 'k', sasl: { password: 'p', username: 'kastor' },
      connectionString: 'postgres://kastor:s3cret@db:5432/bank',
      url: '/metrics',
      source: { url: 'postgres://db/bank' },
    });
    const line = parsed()[0];
    expect(line).to.deep.equal({
      level: 'info', time: TIME, message: 'request', password: '[Redacted]',
      authorization: '[Redacted]',
      headers: { authorization: '[Redacted]', accept: 'json' },
      req: { headers: { authorization: '[Redacted]' } },
      token: '[Redacted]', key: '[Redacted]', sasl: { password: '[Redacted]', username: 'kastor' },
      connectionString: 'postgres://kastor:***@db:5432/bank',
      url: '/metrics',
      source: { url: 'postgres://db/bank' },
    });
    expect(JSON.stringify(line)).to.not.match(/s3cret|Bearer|in-binding/);
  });

  it('redacts bearer tokens, cookies and stream tickets wherever a request is logged', () => {
    const { log, parsed } = capture();
    log.info('request', {
      request: { raw: { headers: { authorization: 'Bearer eyJ.a.b', cookie: 'sid=1' } } },
      ticket: 'tk1',
      url: '/bank/users/alice/alerts/stream?ticket=tk2&limit=5',
      reply: { url: 'http://edge/x?access_token=tk3' },
    });
    const line = parsed()[0];
    expect(line.request.raw.headers).to.deep.equal({ authorization: '[Redacted]', cookie: '[Redacted]' });
    expect(line.url).to.equal('/bank/users/alice/alerts/stream?ticket=***&limit=5');
    expect(line.reply.url).to.equal('http://edge/x?access_token=***');
    expect(JSON.stringify(line)).to.not.match(/eyJ|tk1|tk2|tk3/);
  });

  it('writes to a given stream, and hands out its pino instance', () => {
    const chunks: string[] = [];
    const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
    const log = createLogger({ destination: stream, now: () => TIME });
    log.info('to a stream');
    expect(JSON.parse(chunks.join(''))).to.include({ message: 'to a stream' });
    expect(log.pino.level).to.equal('info');
  });
});
