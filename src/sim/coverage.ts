/**
 * Statechart coverage: which transitions of each machine a run took and which it never did. The
 * transitions are read from the machine itself (XState's StateNode tree: `transitions`, which
 * holds the `on`, `onDone`, invoke and `after` transitions by event descriptor, and `always`), so
 * no list is kept by hand; what was taken comes from XState's inspection API (each
 * `@xstate.microstep` event carries the transition definitions it took).
 *
 * A transition's id is `source --event--> target [guard]`: state paths from the machine's root,
 * `(root)` for the root itself, `(stay)` for a targetless transition, `always` and `after <delay>`
 * for eventless and delayed ones. Ids stay the same as long as the machine's definition does.
 */
import type { AnyStateMachine, AnyTransitionDefinition, InspectionEvent } from 'xstate';

interface StateNodeLike {
  readonly path: readonly string[];
  readonly states: Readonly<Record<string, StateNodeLike>>;
  readonly transitions: ReadonlyMap<string, readonly AnyTransitionDefinition[]>;
  readonly always?: readonly AnyTransitionDefinition[];
}

/** Transition id → why the traffic never takes it, by design. */
export type UnreachedReasons = Readonly<Record<string, string>>;

/** Per machine (`<app>.<entity>`), the transitions a simulation intentionally never takes. */
export type IntentionallyUnreached = Readonly<Record<string, UnreachedReasons>>;

export interface MachineCoverage {
  /** `<app>.<entity>`, as the actor host is named. */
  readonly machine: string;
  readonly total: number;
  /** Transition id → times taken, by id. */
  readonly taken: Readonly<Record<string, number>>;
  /** Never taken and not declared unreached: traffic should reach these. */
  readonly neverTaken: readonly string[];
  /** Never taken, as declared, with the reason. */
  readonly unreached: UnreachedReasons;
  /** Declared unreached but taken after all, or not a transition of the machine: stale. */
  readonly staleDeclarations: readonly string[];
}

/** Every transition of the machine with its id, in definition order (document order of states). */
export function transitionsOf(machine: AnyStateMachine): Map<AnyTransitionDefinition, string> {
  const ids = new Map<AnyTransitionDefinition, string>();
  const used = new Set<string>();
  const add = (t: AnyTransitionDefinition) => {
    const base = transitionId(t);
    let id = base;
    // Two transitions alike in source, event, target and guard: told apart by their rank.
    for (let n = 2; used.has(id); n++) id = `${base} #${n}`;
    used.add(id);
    ids.set(t, id);
  };
  const visit = (node: StateNodeLike) => {
    for (const list of node.transitions.values()) list.forEach(add);
    node.always?.forEach(add);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root as unknown as StateNodeLike);
  return ids;
}

export function transitionId(t: AnyTransitionDefinition): string {
  const source = statePath((t.source as unknown as StateNodeLike).path);
  const target = t.target && t.target.length > 0 ? t.target.map((n) => statePath((n as unknown as StateNodeLike).path)).join(',') : '(stay)';
  const delay = (t as { delay?: number | string }).delay;
  const event = delay !== undefined ? `after ${delay}` : t.eventType === '' ? 'always' : t.eventType;
  const guard = t.guard === undefined ? '' : ` [${guardName(t.guard)}]`;
  return `${source} --${event}--> ${target}${guard}`;
}

function statePath(path: readonly string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

/** A guard as XState holds it: a name, `{ type }`, an inline function, or and/or/not of guards. */
function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as { name?: string; guards?: unknown; check?: unknown };
    if (g.check !== undefined && g.guards !== undefined) {
      const inner = Array.isArray(g.guards) ? g.guards : [g.guards];
      return `${g.name ?? 'guard'}(${inner.map(guardName).join(', ')})`;
    }
    // An arrow function written as `guard: (...) => ...` takes the property's name.
    return g.name && g.name !== 'guard' ? g.name : 'inline';
  }
  if (guard !== null && typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') return (guard as { type: string }).type;
  return 'inline';
}

/** Counts the transitions taken by the actors of each machine, from XState's inspection events. */
export class CoverageRecorder {
  private readonly machines = new Map<string, { readonly ids: Map<AnyTransitionDefinition, string>; readonly counts: Map<string, number> }>();

  constructor(machines: ReadonlyMap<string, AnyStateMachine>) {
    for (const [name, machine] of machines) this.machines.set(name, { ids: transitionsOf(machine), counts: new Map() });
  }

  /** For RuntimeOptions.inspect: `host` is the actor host's name, `<app>.<entity>`. */
  readonly inspect = (host: string, event: InspectionEvent): void => {
    if (event.type !== '@xstate.microstep') return;
    const machine = this.machines.get(host);
    if (!machine) return;
    for (const t of event._transitions) {
      // A transition of an invoked child machine is not one of this machine's: not counted here.
      const id = machine.ids.get(t);
      if (id !== undefined) machine.counts.set(id, (machine.counts.get(id) ?? 0) + 1);
    }
  };

  /** Coverage per machine, machines by name, transitions by id (so by source state). */
  report(unreached: IntentionallyUnreached = {}): MachineCoverage[] {
    return [...this.machines.keys()].sort().map((name) => {
      const { ids, counts } = this.machines.get(name)!;
      return coverageOf(name, [...ids.values()].sort(), counts, unreached[name] ?? {});
    });
  }
}

function coverageOf(machine: string, all: readonly string[], counts: ReadonlyMap<string, number>, declared: UnreachedReasons): MachineCoverage {
  const taken: Record<string, number> = {};
  const neverTaken: string[] = [];
  const unreached: Record<string, string> = {};
  for (const id of all) {
    const n = counts.get(id) ?? 0;
    if (n > 0) taken[id] = n;
    else if (declared[id] !== undefined) unreached[id] = declared[id];
    else neverTaken.push(id);
  }
  const staleDeclarations = Object.keys(declared).filter((id) => !all.includes(id) || (counts.get(id) ?? 0) > 0);
  return { machine, total: all.length, taken, neverTaken, unreached, staleDeclarations };
}

/**
 * Coverage over many runs (a seed sweep): a transition is taken if any run took it (counts add
 * up), and declared unreached or never taken only if no run took it.
 */
export function aggregateCoverage(reports: readonly { readonly coverage: readonly MachineCoverage[] }[]): MachineCoverage[] {
  const byMachine = new Map<string, { all: Set<string>; counts: Map<string, number>; declared: Record<string, string> }>();
  for (const report of reports) {
    for (const m of report.coverage) {
      let acc = byMachine.get(m.machine);
      if (!acc) byMachine.set(m.machine, (acc = { all: new Set(), counts: new Map(), declared: {} }));
      for (const id of [...Object.keys(m.taken), ...m.neverTaken, ...Object.keys(m.unreached)]) acc.all.add(id);
      for (const [id, n] of Object.entries(m.taken)) acc.counts.set(id, (acc.counts.get(id) ?? 0) + n);
      Object.assign(acc.declared, m.unreached);
      // Stale in one run stays stale in the sum (its reason is not carried; it is never shown).
      for (const id of m.staleDeclarations) acc.declared[id] ??= '(stale)';
    }
  }
  return [...byMachine.keys()].sort().map((name) => {
    const acc = byMachine.get(name)!;
    return coverageOf(name, [...acc.all].sort(), acc.counts, acc.declared);
  });
}
