import { expect } from 'chai';
import { parseLogLine } from '../../../src/apps/ops/logLineParser.js';

describe('log line parser', () => {
  it('reads pino lines: numeric level, epoch-ms time, msg', () => {
    expect(parseLogLine('{"level":50,"time":1767268800000,"pid":7,"msg":"failed"}')).to.deep.equal({
      at: '2026-01-01T12:00:00.000Z', level: 'error', message: 'failed', fields: { pid: 7 },
    });
  });

  it('reads logstash-style lines with @timestamp and severity, zone offsets and epoch seconds', () => {
    expect(parseLogLine('{"@timestamp":"2026-01-01T13:00:00+01:00","severity":"WARNING","message":"m"}'))
      .to.deep.equal({ at: '2026-01-01T12:00:00.000Z', level: 'warn', message: 'm' });
    expect(parseLogLine('{"ts":1767268800,"msg":"s"}')).to.deep.equal({ at: '2026-01-01T12:00:00.000Z', message: 's' });
  });

  it('keeps what it does not recognise: an unknown level or a bad time stay in the fields', () => {
    expect(parseLogLine('{"level":"chatty","time":"soon","msg":"x"}')).to.deep.equal({ message: 'x', fields: { level: 'chatty', time: 'soon' } });
  });

  it('takes a JSON array, or broken JSON, as plain text', () => {
    expect(parseLogLine('[1,2]')).to.deep.equal({ message: '[1,2]' });
    expect(parseLogLine('{"half":')).to.deep.equal({ message: '{"half":' });
  });

  it('reads zone-less text timestamps as UTC and bracketed levels in any case', () => {
    expect(parseLogLine('2026-01-01T12:00:00 [Info] ready')).to.deep.equal({ at: '2026-01-01T12:00:00.000Z', level: 'info', message: 'ready' });
    expect(parseLogLine('[main] started')).to.deep.equal({ message: '[main] started' });
    expect(parseLogLine('FATAL')).to.deep.equal({ level: 'fatal', message: '' });
  });
});
