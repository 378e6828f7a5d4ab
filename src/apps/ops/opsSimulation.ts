/**
 * Logging and metrics aggregation under simulation: services report metric samples (as the metrics
 * collector produces them: `metric.sampled`, key service), a few of them late, a few malformed;
 * and write log lines — plain text and JSON, a few oversized or not UTF-8 — that the real log
 * forwarder (forwardLogs) turns into `log.line` events or dead letters, producing through the
 * process's edge producer. The log store is the file sink as the process hosts it, under the run's
 * scratch data directory (nothing of its absolute path reaches the digest).
 *
 * The generator mirrors the aggregator's documented rules to know the truth: a minute of a service
 * closes once the service's latest event time is 10 s (the grace) past its end; a sample for a
 * closed minute is late and left out; p50/p99 by nearest rank. Per service, the samples are
 * produced (and consumed) in order. Each tick spreads its records over enough services that a
 * send the broker duplicates lands within the 32 event ids an actor remembers (ActorHost's window).
 */
import { join } from 'node:path';
import type { MetricAggregated } from '../../../actors/ops/events.js';
import { DEFAULT_LIMITS } from '../../../actors/ops/minuteWindows.js';
import { opsTopics as t } from '../../../config/ops.js';
import type { Producer } from '../../broker/Broker.js';
import type { OutgoingRecord } from '../../broker/Record.js';
import { DLQ_HEADERS } from '../../host/deadLetter.js';
import { deadLetterTopic } from '../../host/topology.js';
import { seededIdSource } from '../../ids/IdSource.js';
import { inFilesOnce } from '../../sim/invariants.js';
import type { Invariant, SimRecord, SimView } from '../../sim/Simulation.js';
import { type SimSizes, perTick, pick, timesIn } from '../../sim/traffic.js';
import type { SqliteDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import type { AppSimulation, HostedApp, SimulationContext } from '../AppModule.js';
import { forwardLogs } from './logForwarder.js';

const SAMPLES = 0.6;
const LATE_SAMPLES = 0.01;
const MALFORMED_SAMPLES = 0.004;
const MALFORMED_LINES = 0.008;
const MINUTE = 60_000;
const METRICS: Readonly<Record<string, (random: () => number) => number>> = {
  http_latency_ms: (r) => Math.round(2 + Math.exp(r() * Math.log(2_000))),
  queue_depth: (r) => Math.floor(r() * 200),
  cpu_percent: (r) => Math.round(r() * 1_000) / 10,
  errors_total: (r) => Math.floor(r() * r() * 5),
};
const LEVELS = ['DEBUG', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR'];
const FORWARDER = 'ops.log_forwarder';
const AGGREGATOR = 'ops.metrics_aggregator';

interface Service {
  watermark: number;
  closedBefore: number;
}

export function simulateOps(_hosted: HostedApp, ctx: SimulationContext): AppSimulation {
  const { random, clock, sizes, tickMs } = ctx;
  const { db } = ctx.app;
  // Where hostOps puts the log store.
  const root = join(ctx.app.dataDir, 'logstore');
  // The forwarder runs after next() returns: its ids come from a source of its own.
  const lineIds = seededIdSource(Math.floor(random() * 2 ** 31));

  const services = Array.from({ length: serviceCount(sizes, tickMs) }, (_, i) => `svc-${i}`);
  const state = new Map(services.map((s) => [s, { watermark: 0, closedBefore: 0 } as Service]));
  /** `service|name|minute` → the values it keeps, in order. */
  const series = new Map<string, number[]>();
  const lines = { messages: new Set<string>(), deadLetters: new Set<string>() };
  const malformedSamples = new Set<string>();
  let late = 0;
  let n = 0;
  let forwarding: Promise<void> = Promise.resolve();
  let forwardsInFlight = 0;
  let forwardFailures = 0;

  const sample = (service: string, at: number): SimRecord => {
    const name = pick(Object.keys(METRICS), random);
    const value = METRICS[name](random);
    const s = state.get(service)!;
    const minute = Math.floor(at / MINUTE);
    if (minute < s.closedBefore) late++;
    else {
      const key = `${service}|${name}|${minute}`;
      let values = series.get(key);
      if (!values) series.set(key, (values = []));
      values.push(value);
    }
    s.watermark = Math.max(s.watermark, at);
    s.closedBefore = Math.max(s.closedBefore, Math.floor((s.watermark - DEFAULT_LIMITS.graceMs) / MINUTE));
    const id = ctx.ids.next();
    return { topic: t.metrics.name, key: service, value: JSON.stringify({ id, type: 'metric.sampled', key: service, at: new Date(at).toISOString(), service, name, value }) };
  };

  const logLine = (at: string, byService: Map<string, Buffer[]>) => {
    const service = pick(services, random);
    const k = ++n;
    const roll = random();
    let line: Buffer;
    if (roll < MALFORMED_LINES / 4) {
      const text = `oversized #${k} `.padEnd(70_000, 'x');
      lines.deadLetters.add(text.slice(0, 1_024));
      line = Buffer.from(text);
    } else if (roll < MALFORMED_LINES) {
      line = Buffer.concat([Buffer.from(`not utf-8 #${k} `), Buffer.from([0xff, 0xfe, 0xc3])]);
      lines.deadLetters.add(line.toString('base64'));
    } else if (roll < 0.5) {
      const message = `request #${k} served in ${Math.floor(random() * 900)} ms`;
      lines.messages.add(message);
      line = Buffer.from(`${at} ${pick(LEVELS, random)} ${message}`);
    } else if (roll < 0.9) {
      const message = `cache miss #${k}`;
      lines.messages.add(message);
      line = Buffer.from(JSON.stringify({ time: at, level: random() < 0.8 ? 'info' : 'warn', msg: message, route: `/items/${k % 97}` }));
    } else {
      const message = `worker heartbeat #${k}`;
      lines.messages.add(message);
      line = Buffer.from(message);
    }
    let list = byService.get(service);
    if (!list) byService.set(service, (list = []));
    list.push(line, Buffer.from('\n'));
  };

  const next = (until: number): SimRecord[] => {
    const out: SimRecord[] = [];
    const byService = new Map<string, Buffer[]>();
    for (const at of timesIn(until, tickMs, perTick(sizes.rate, tickMs, random))) {
      const roll = random();
      const service = pick(services, random);
      if (roll < SAMPLES) {
        const time = Date.parse(at);
        out.push(sample(service, random() < LATE_SAMPLES / SAMPLES ? time - 15_000 - Math.floor(random() * 150_000) : time));
      } else if (roll < SAMPLES + MALFORMED_SAMPLES) {
        const value = random() < 0.5
          ? `{"type":"metric.sampled","service":"${service}","bad":${++n}`
          : JSON.stringify({ id: `bad-${++n}`, type: 'metric.sampled', key: service, at, service, name: 'queue_depth', value: 'high' });
        malformedSamples.add(value);
        out.push({ topic: t.metrics.name, key: service, value });
      } else {
        logLine(at, byService);
      }
    }
    if (byService.size > 0) {
      forwardsInFlight++;
      forwarding = forwarding.then(() => forward(byService)).catch(() => { forwardFailures++; }).finally(() => { forwardsInFlight--; });
    }
    return out;
  };

  /** The forwarder of each service reads its lines; the tick's records are produced at once. */
  const forward = async (byService: ReadonlyMap<string, Buffer[]>) => {
    const pending: OutgoingRecord[] = [];
    const collect: Producer = {
      send: async (records) => {
        pending.push(...records);
        return [];
      },
      flush: async () => undefined,
      close: async () => undefined,
    };
    for (const [service, parts] of byService) {
      const input = (async function* () { yield Buffer.concat(parts); })();
      await forwardLogs(input, { producer: collect, clock, ids: lineIds, service, source: `sim:${service}` });
    }
    await ctx.app.producer.send(pending);
  };

  const check = (view: SimView): Invariant[] => {
    const invariants = [
      ...checkAggregates(view, db, series, state, late),
      checkLogs(view, lines, forwardFailures),
      checkDeadLetters(view, malformedSamples, lines.deadLetters),
      inFilesOnce(view, 'ops', 'the log store', root, [t.metricsPerMinute.name, t.logs.name]),
    ];
    return invariants;
  };

  const readModels = (): string => {
    const aggregates = db.prepare('SELECT * FROM ops_metrics_per_minute ORDER BY service, minute, name').all();
    const files = db.prepare(`SELECT topic, partition, start_offset, end_offset, records, bytes, path, renamed, committed_at
      FROM file_sink_files WHERE stage = 'ops.logstore' ORDER BY topic, partition, start_offset`).all();
    return JSON.stringify({ aggregates, files });
  };

  return { traffic: { next }, check, readModels, settled: () => forwardsInFlight === 0 };
}

/** Enough services that one tick gives each about 8 records at most, on average. */
function serviceCount(sizes: SimSizes, tickMs: number): number {
  return Math.max(3, Math.min(64, Math.ceil(sizes.users / 250)), Math.ceil((sizes.rate * tickMs) / 1000 / 8));
}

const nearestRank = (sorted: readonly number[], p: number) => sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1];

function checkAggregates(view: SimView, db: SqliteDatabase, series: ReadonlyMap<string, number[]>, state: ReadonlyMap<string, Service>, late: number): Invariant[] {
  const emitted = new Map<string, { ids: Set<string>; event: MetricAggregated }>();
  for (const r of view.records(t.metricsPerMinute.name)) {
    const e = JSON.parse(r.value!) as MetricAggregated;
    const key = `${e.service}|${e.name}|${Math.floor(Date.parse(e.minute) / MINUTE)}`;
    const seen = emitted.get(key) ?? { ids: new Set<string>(), event: e };
    seen.ids.add(e.id);
    emitted.set(key, seen);
  }
  const rows = new Map(db.prepare<[], MetricAggregated & { minute: string }>('SELECT * FROM ops_metrics_per_minute').all()
    .map((r) => [`${r.service}|${r.name}|${Math.floor(Date.parse(r.minute) / MINUTE)}`, r]));
  const wrong: string[] = [];
  const projected: string[] = [];
  let closed = 0;
  for (const [key, values] of series) {
    const [service, , minute] = key.split('|');
    if (Number(minute) >= state.get(service)!.closedBefore) continue;
    closed++;
    const kept = values.slice(0, DEFAULT_LIMITS.maxValues);
    const sorted = [...kept].sort((a, b) => a - b);
    const sum = values.reduce((a, b) => a + b, 0);
    const truth = { count: values.length, min: sorted[0], max: sorted[sorted.length - 1], p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99) };
    const differs = (e: { count: number; min: number; max: number; p50: number; p99: number; sum: number } | undefined) =>
      !e || e.count !== truth.count || e.min !== truth.min || e.max !== truth.max || e.p50 !== truth.p50 || e.p99 !== truth.p99
      || Math.abs(e.sum - sum) > 1e-9 * Math.max(1, Math.abs(sum));
    const e = emitted.get(key)?.event;
    if (differs(e)) wrong.push(`${key}: ${e ? JSON.stringify({ count: e.count, min: e.min, max: e.max, p50: e.p50, p99: e.p99 }) : 'not emitted'}, truth ${JSON.stringify(truth)}`);
    if (differs(rows.get(key))) projected.push(key);
  }
  const extra = [...emitted.keys()].filter((key) => {
    const [service, , minute] = key.split('|');
    return !series.has(key) || Number(minute) >= (state.get(service)?.closedBefore ?? -Infinity);
  });
  const twice = [...emitted].filter(([, s]) => s.ids.size !== 1).map(([key, s]) => `${key}: ${[...s.ids].join(', ')}`);
  return [
    { name: 'ops: each closed minute\'s aggregate per service and metric equals its samples (count, min, max, sum, p50, p99 by nearest rank)',
      held: wrong.length === 0 && extra.length === 0,
      detail: [...wrong, ...extra.map((k) => `${k}: emitted but not closed`)].slice(0, 3).join('; ') || `${closed} closed minutes, ${late} late samples left out` },
    { name: 'ops: each (service, metric, minute) emitted once (copies only under the same id)', held: twice.length === 0, detail: twice.slice(0, 3).join('; ') },
    { name: 'ops: the read model holds each closed minute\'s aggregate', held: projected.length === 0 && rows.size === closed,
      detail: projected.slice(0, 3).join(', ') || `${rows.size} rows` },
  ];
}

function checkLogs(view: SimView, lines: { messages: ReadonlySet<string> }, failures: number): Invariant {
  const ids = new Set<string>();
  const messages = new Set<string>();
  for (const r of view.records(t.logs.name)) {
    const e = JSON.parse(r.value!) as { id: string; message: string };
    ids.add(e.id);
    messages.add(e.message);
  }
  const missing = [...lines.messages].filter((m) => !messages.has(m));
  const held = failures === 0 && missing.length === 0 && messages.size === lines.messages.size && ids.size === lines.messages.size;
  return { name: 'ops: every well-formed log line forwarded once (by id)', held,
    detail: `${ids.size} events for ${lines.messages.size} lines${missing.length ? `; missing: ${missing.slice(0, 3).join(', ')}` : ''}${failures ? `; ${failures} ticks failed` : ''}` };
}

function checkDeadLetters(view: SimView, samples: ReadonlySet<string>, lines: ReadonlySet<string>): Invariant {
  const got = { samples: new Set<string>(), lines: new Set<string>(), other: 0 };
  for (const r of view.records(deadLetterTopic('ops').name)) {
    const stage = r.headers[DLQ_HEADERS.stage];
    if (stage === AGGREGATOR) got.samples.add(r.value!);
    else if (stage === FORWARDER) got.lines.add(r.value!);
    else got.other++;
  }
  const same = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((v) => b.has(v));
  return { name: 'ops: every malformed metric record and log line dead-lettered, and no other',
    held: same(got.samples, samples) && same(got.lines, lines) && got.other === 0,
    detail: `samples ${got.samples.size} of ${samples.size}, lines ${got.lines.size} of ${lines.size}${got.other ? `, ${got.other} others` : ''}` };
}
