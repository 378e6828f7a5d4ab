import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { logLine } from '../../../actors/ops/events.js';
import { opsTopics } from '../../../config/ops.js';
import { forwardLogSource, forwardLogs } from '../../../src/apps/ops/logForwarder.js';
import { opsApp } from '../../../src/apps/ops/opsApp.js';
import type { Producer, ProducerOptions } from '../../../src/broker/Broker.js';
import type { OutgoingRecord, RecordMetadata } from '../../../src/broker/Record.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { DLQ_HEADERS } from '../../../src/host/deadLetter.js';
import { allTopics } from '../../../src/host/topology.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { createLogger } from '../../../src/log/createLogger.js';
import { topicSpec } from '../../../src/topics/TopicDeclaration.js';

const NOW = '2026-01-01T12:00:00.000Z';

class RecordingProducer implements Producer {
  readonly sends: OutgoingRecord[][] = [];
  flushed = 0;
  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    this.sends.push([...records]);
    return records.map((r) => ({ topic: r.topic, partition: 0, offset: -1 }));
  }
  async flush(): Promise<void> { this.flushed++; }
  async close(): Promise<void> {}
  get records(): OutgoingRecord[] { return this.sends.flat(); }
}

/** The input as chunks of `size` bytes, to cut lines (and UTF-8 sequences) anywhere. */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function forward(input: Buffer | string, chunkSize = 7) {
  const producer = new RecordingProducer();
  const stats = await forwardLogs(chunked(Buffer.isBuffer(input) ? input : Buffer.from(input), chunkSize), {
    producer, clock: new VirtualClock(NOW), ids: seededIdSource(3), service: 'api', source: 'app.log', batchSize: 3,
  });
  const events = producer.records.filter((r) => r.topic === opsTopics.logs.name).map((r) => JSON.parse(r.value!));
  const dead = producer.records.filter((r) => r.topic === 'queuing.ops.dead_letters');
  return { producer, stats, events, dead };
}

describe('log forwarder', () => {
  it('forwards kastor\'s own JSON log lines: time, level and message lifted, the rest in fields', async () => {
    const lines: string[] = [];
    const log = createLogger({ destination: (l) => lines.push(l), now: () => '2026-01-01T11:59:00.000Z' }).child({ stage: 'social.post' });
    log.info('batch committed', { records: 12 });
    log.error('stage failed', { error: new Error('boom') });
    const { events, stats } = await forward(lines.join('\n') + '\n');
    expect(stats).to.deep.equal({ lines: 2, forwarded: 2, deadLettered: 0, blank: 0 });
    expect(events[0]).to.deep.include({
      type: 'log.line', key: 'api', service: 'api', at: '2026-01-01T11:59:00.000Z', level: 'info', message: 'batch committed',
      fields: { stage: 'social.post', records: 12 },
    });
    expect(events[1].level).to.equal('error');
    expect(events[1].fields.error.message).to.equal('boom');
    for (const e of events) expect(() => logLine.parse(e)).to.not.throw();
    expect(new Set(events.map((e) => e.id)).size).to.equal(2);
  });

  it('forwards plain text lines, with a leading timestamp and level when there are', async () => {
    const { events } = await forward([
      '2026-01-01 10:00:00,250 WARN disk almost full',
      '[2026-01-01T10:00:01Z] [error] connection refused',
      'Error handling request /x',
      '  indented continuation\r',
      '',
    ].join('\n'));
    expect(events.map((e) => [e.at, e.level, e.message])).to.deep.equal([
      ['2026-01-01T10:00:00.250Z', 'warn', 'disk almost full'],
      ['2026-01-01T10:00:01.000Z', 'error', 'connection refused'],
      [NOW, undefined, 'Error handling request /x'],
      [NOW, undefined, '  indented continuation'],
    ]);
  });

  it('dead-letters invalid UTF-8 and over-long lines with a reason, and keeps going', async () => {
    const input = Buffer.concat([
      Buffer.from('first ok\n'),
      Buffer.from([0x62, 0x61, 0x64, 0xc3, 0x28, 0x0a]), // "bad" + an invalid 2-byte sequence
      Buffer.from('x'.repeat(70 * 1024) + '\n'),
      Buffer.from('last ok — ünïcödé\n'),
    ]);
    const { events, dead, stats } = await forward(input, 4_096);
    expect(stats).to.deep.equal({ lines: 4, forwarded: 2, deadLettered: 2, blank: 0 });
    expect(events.map((e) => e.message)).to.deep.equal(['first ok', 'last ok — ünïcödé']);
    expect(dead[0].headers![DLQ_HEADERS.reason]).to.equal('line is not valid UTF-8');
    expect(Buffer.from(dead[0].value!, 'base64')).to.deep.equal(Buffer.from([0x62, 0x61, 0x64, 0xc3, 0x28]));
    expect(dead[0].headers!['kastor.dlq.line']).to.equal('2');
    expect(dead[1].headers![DLQ_HEADERS.reason]).to.equal(`line of ${70 * 1024} bytes is over the 65536-byte limit`);
    expect(dead[1].value).to.have.length(1_024);
    expect(dead[1].headers![DLQ_HEADERS.topic]).to.equal(opsTopics.logs.name);
    expect(dead[1].key).to.equal('api');
  });

  it('sends in batches and flushes at the end', async () => {
    const { producer } = await forward(Array.from({ length: 8 }, (_, i) => `line ${i}`).join('\n'));
    expect(producer.sends.map((s) => s.length)).to.deep.equal([3, 3, 2]);
    expect(producer.flushed).to.equal(1);
  });

  it('reads a file through a fire-and-forget producer of the broker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kastor-logs-'));
    const file = join(dir, 'app.log');
    writeFileSync(file, 'INFO hello\n{"level":"warn","msg":"careful"}\n');
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    await broker.admin.createTopics(allTopics(opsApp()).map((t) => topicSpec(t, 'local')));
    const asked: Array<ProducerOptions | undefined> = [];
    const spy = { producer: (o?: ProducerOptions) => { asked.push(o); return broker.producer(o); } };
    const stats = await forwardLogSource(file, { broker: spy, clock: new VirtualClock(NOW), ids: seededIdSource(1), service: 'api' });
    expect(stats.forwarded).to.equal(2);
    expect(asked.map((o) => o?.profile)).to.deep.equal(['fire-and-forget']);
    const partition = (await Promise.all(Array.from({ length: opsTopics.logs.partitions }, (_, p) =>
      broker.admin.watermarks({ topic: opsTopics.logs.name, partition: p })))).findIndex((w) => w.high === 2);
    expect(partition).to.be.at.least(0);
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
