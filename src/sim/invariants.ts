/** Invariants more than one application checks, over what a run left in its topics and stores. */
import { readFileSync } from 'node:fs';
import { listSinkFiles } from '../batch/readSinkFiles.js';
import { type SinkLine, lineValue } from '../batch/sinkFileLayout.js';
import { DLQ_HEADERS } from '../host/deadLetter.js';
import { deadLetterTopic } from '../host/topology.js';
import type { Invariant, SimView } from './Simulation.js';

/** How many records of one partition a store holds, and their first and last offsets. */
export interface OffsetSpan {
  readonly n: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Each malformed record, every copy the topic holds, dead-lettered by each stage that decodes the
 * topic (the DLQ headers name the stage and the source offset; a re-sent dead letter counts once).
 */
export function deadLetteredOnce(
  view: SimView, app: string, topic: string, malformed: ReadonlySet<string>, stages: readonly string[],
): Invariant {
  const bad = new Set<string>();
  const values = new Set<string>();
  for (const r of view.records(topic)) {
    if (r.value !== null && malformed.has(r.value)) {
      bad.add(`${r.partition}@${r.offset}`);
      values.add(r.value);
    }
  }
  const byStage = new Map<string, Set<string>>(stages.map((s) => [s, new Set()]));
  let copies = 0;
  for (const r of view.records(deadLetterTopic(app).name)) {
    if (r.headers[DLQ_HEADERS.topic] !== topic) continue;
    const stage = r.headers[DLQ_HEADERS.stage];
    if (!byStage.has(stage)) byStage.set(stage, new Set());
    const seen = byStage.get(stage)!;
    const at = `${r.headers[DLQ_HEADERS.partition]}@${r.headers[DLQ_HEADERS.offset]}`;
    if (seen.has(at)) copies++;
    seen.add(at);
  }
  const wrong = [...byStage].filter(([, seen]) => seen.size !== bad.size || [...seen].some((x) => !bad.has(x)));
  return {
    name: `${app}: every malformed ${topic.split('.').pop()} record dead-lettered, once per stage that decodes it`,
    held: values.size === malformed.size && wrong.length === 0,
    detail: `${values.size} of ${malformed.size} in the topic (${bad.size} copies), by ${[...byStage.keys()].join(', ')}`
      + `${wrong.length ? `; wrong for ${wrong.map(([s, seen]) => `${s} (${seen.size})`).join(', ')}` : ''}; ${copies} re-sent`,
  };
}

/** A store (`what`: the analytics store, the file sink) holds each record of the topic once. */
export function storedOnce(view: SimView, app: string, what: string, topic: string, stored: ReadonlyMap<number, OffsetSpan>): Invariant {
  const key = (x: OffsetSpan) => `${x.n}:${x.lo}-${x.hi}`;
  const inTopic = new Map<number, { n: number; lo: number; hi: number }>();
  for (const r of view.records(topic)) {
    const p = inTopic.get(r.partition);
    if (p) {
      p.n++;
      p.hi = r.offset;
    } else inTopic.set(r.partition, { n: 1, lo: r.offset, hi: r.offset });
  }
  const wrong = [...inTopic].filter(([p, x]) => { const s = stored.get(p); return !s || key(s) !== key(x); }).map(([p]) => p);
  const total = [...inTopic.values()].reduce((a, x) => a + x.n, 0);
  return {
    name: `${app}: ${what} holds every ${topic.split('.').pop()} record exactly once`,
    held: wrong.length === 0 && stored.size === inTopic.size,
    detail: wrong.length ? `partitions ${wrong.join(', ')} differ` : `${total} records`,
  };
}

/** Every record of the topics in exactly one committed file of the file sink at `root`, as the topic holds it. */
export function inFilesOnce(view: SimView, app: string, what: string, root: string, topics: readonly string[]): Invariant {
  const wrong: string[] = [];
  let records = 0;
  for (const topic of topics) {
    const stored = new Map<string, SinkLine[]>();
    for (const file of listSinkFiles(root, topic)) {
      for (const text of readFileSync(file.path, 'utf8').split('\n')) {
        if (text === '') continue;
        const line = JSON.parse(text) as SinkLine;
        const key = `${line.partition}/${line.offset}`;
        stored.set(key, [...(stored.get(key) ?? []), line]);
      }
    }
    const all = view.records(topic);
    records += all.length;
    for (const r of all) {
      const copies = stored.get(`${r.partition}/${r.offset}`) ?? [];
      if (copies.length !== 1 || JSON.stringify(copies[0].value) !== JSON.stringify(lineValue(r.value))) {
        wrong.push(`${topic}/${r.partition}@${r.offset}: ${copies.length} copies`);
      }
      stored.delete(`${r.partition}/${r.offset}`);
    }
    for (const key of stored.keys()) wrong.push(`${topic} ${key}: in a file, not on the topic`);
  }
  return {
    name: `${app}: ${what} holds each record of ${topics.map((t) => t.split('.').pop()).join(', ')} exactly once`,
    held: wrong.length === 0,
    detail: wrong.slice(0, 3).join('; ') || `${records} records`,
  };
}

