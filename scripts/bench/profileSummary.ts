/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) as the heaviest functions by self time and the
 * heaviest files, which is what the benchmark report needs to say where a missed target goes:
 *   node --import tsx scripts/bench/profileSummary.ts <file.cpuprofile> [top=25]
 * `npm run bench -- --profile` writes one profile per benchmark process under .cpuprofile/.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: number[];
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export function summarise(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const short = url.replace(/^file:\/\/.*?\/(node_modules|src|adapters|actors|scripts)\//, '$1/');
    const fn = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const where = short === '' ? `(${functionName})` : short.replace(/^(node_modules\/[^/]+).*$/, '$1');
    files.set(where, (files.get(where) ?? 0) + us);
  }
  // Inclusive time: a function's own samples plus its callees', counted once per stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!/\/(src|adapters|actors|scripts)\//.test(url)) continue;
      const fn = `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*?\/(src|adapters|actors|scripts)\//, '$1/')}:${lineNumber + 1}`;
      if (seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    }
  }
  const table = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  return `${file}: ${(total / 1e6).toFixed(1)} s sampled\n-- self time by function\n${table(fns)}\n-- self time by file / package\n${table(files)}\n-- inclusive time, project functions\n${table(inclusive)}`;
}

interface HeapNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children?: HeapNode[];
}

/** A sampling heap profile (`BENCH_HEAP_PROFILE`): bytes allocated, by function. */
export function summariseHeap(file: string, top = 25): string {
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const fns = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode): void => {
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*?\/(node_modules|src|adapters|actors|scripts)\//, '$1/')}:${lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children ?? []) walk(c);
  };
  walk(head);
  const rows = [...fns.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, bytes]) => `${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / 2 ** 20).toFixed(0).padStart(6)} MiB  ${k}`);
  return `${file}: ${(total / 2 ** 20).toFixed(0)} MiB allocated (sampled)\n-- allocated by function\n${rows.join('\n')}`;
}

if (process.argv[1]?.endsWith('profileSummary.ts')) {
  const [file, top] = process.argv.slice(2);
  const summary = file.endsWith('.heapprofile') ? summariseHeap : summarise;
  console.log(summary(file, top ? Number(top) : 25));
}
