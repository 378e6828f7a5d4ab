/**
 * Steps an XState machine without an actor per entity: the machine's own transition logic
 * (`machine.transition(snapshot, event, actorScope)`, what an actor runs inside `send`) on one
 * actor scope shared by every entity of the host. An entity is then just its snapshot: no actor,
 * system, mailbox or observers to build on rehydration, keep while live, or go through per event.
 *
 * XState's exported `transition()` does the same with a fresh actor scope per call, and builds an
 * actor (with its initial state) to make it: 3× slower than `actor.send` on the post machine
 * (benchmark 1's workload), where one scope for all is 15 % faster than `actor.send`.
 *
 * Only machines that need no actor qualify: no invoked or spawned children, no delayed events
 * (`after`, a delayed `raise`, `sendTo`, `cancel`: XState schedules those on an actor system, and
 * the host keeps timers only for actors). `steppable` rules out what the machine's definition shows;
 * anything else surfaces in a transition (a spawned child, an action only an actor can run), which
 * is then refused with NeedsActor before any of its actions ran, so the caller can run the same
 * event on an actor instead. Actions run after the transition, in order; a custom action gets the
 * host's scope as `self`, so one that sends to `self` needs an actor too (raise instead).
 */
import { type AnyMachineSnapshot, type AnyStateMachine, type InspectionEvent, createActor } from 'xstate';

/** A transition needs what only an actor has; the snapshot given was not changed. */
export class NeedsActor extends Error {
  constructor(readonly what: string) {
    super(`needs an actor: ${what}`);
    this.name = 'NeedsActor';
  }
}

interface ExecutableAction {
  readonly type: string;
  readonly info: unknown;
  readonly params: unknown;
  readonly exec?: (info: unknown, params: unknown) => void;
}

interface StateNodeLike {
  readonly invoke: readonly unknown[];
  readonly after: readonly unknown[];
  readonly states: Record<string, StateNodeLike>;
}

/** Whether the machine's definition allows stepping it without an actor: no invoke, no `after`. */
export function steppable(machine: AnyStateMachine): boolean {
  const walk = (node: StateNodeLike): boolean =>
    node.invoke.length === 0 && node.after.length === 0 && Object.values(node.states).every(walk);
  return walk(machine.root as unknown as StateNodeLike);
}

/** Built-in actions a transition may hand out without needing an actor to run them. */
function runsWithoutActor(action: ExecutableAction): boolean {
  if (!action.type.startsWith('xstate.')) return true; // the machine's own (custom) actions
  if (action.type === 'xstate.emit' || action.type === 'xstate.log') return true;
  return action.type === 'xstate.raise' && (action.params as { delay?: unknown }).delay === undefined;
}

export class MachineStepper {
  private readonly actions: ExecutableAction[] = [];
  private readonly deferred: Array<() => void> = [];
  private sink: unknown[] = [];
  private readonly scope: Record<string, unknown>;

  /** `inspect` is told of XState's microsteps (the transitions taken), as an actor's would be. */
  constructor(readonly machine: AnyStateMachine, inspect?: (event: InspectionEvent) => void) {
    // Never started: it lends the scope an actor system (for inspection) and a `self`.
    const self = createActor(machine, { input: { key: '' }, ...(inspect ? { inspect } : {}) });
    // The same properties in the same order as an actor's own scope: XState's functions then see
    // one object shape, whichever kind of entity they step.
    this.scope = {
      self,
      id: '',
      sessionId: '',
      logger: (self as unknown as { logger: unknown }).logger,
      defer: (fn: () => void) => this.deferred.push(fn),
      system: self.system,
      stopChild: () => undefined,
      emit: (event: unknown) => this.sink.push(event),
      actionExecutor: (action: ExecutableAction) => this.actions.push(action),
    };
  }

  /** The initial snapshot for `input`; what its entry actions emit goes to `emitted`. */
  initial(input: unknown, emitted: unknown[]): AnyMachineSnapshot {
    this.reset();
    const snapshot = this.machine.getInitialSnapshot(this.scope as never, input) as AnyMachineSnapshot;
    return this.settle(snapshot, emitted);
  }

  /** A persisted snapshot (getPersistedSnapshot's output, parsed) made live again. */
  restore(persisted: unknown): AnyMachineSnapshot {
    this.reset();
    return this.machine.restoreSnapshot!(persisted as never, this.scope as never) as AnyMachineSnapshot;
  }

  /**
   * The snapshot after `event`; what the machine emits goes to `emitted`. A snapshot that is done,
   * stopped or failed takes no more events, as its actor would not. Throws what the machine threw,
   * or NeedsActor.
   */
  step(snapshot: AnyMachineSnapshot, event: { type: string }, emitted: unknown[]): AnyMachineSnapshot {
    if (snapshot.status !== 'active') return snapshot;
    this.reset();
    return this.settle(this.machine.transition(snapshot, event, this.scope as never) as AnyMachineSnapshot, emitted);
  }

  /** What getPersistedSnapshot gives for an actor in this state (the stored snapshot format). */
  persisted(snapshot: AnyMachineSnapshot): Record<string, unknown> {
    return this.machine.getPersistedSnapshot(snapshot) as Record<string, unknown>;
  }

  private reset(): void {
    this.actions.length = 0;
    this.deferred.length = 0;
  }

  /** Runs the transition's actions, then what they deferred (emits), once it is known to need no actor. */
  private settle(snapshot: AnyMachineSnapshot, emitted: unknown[]): AnyMachineSnapshot {
    for (const action of this.actions) if (!runsWithoutActor(action)) throw new NeedsActor(`action ${action.type}`);
    for (const _ in snapshot.children) throw new NeedsActor('a spawned child');
    this.sink = emitted;
    for (const action of this.actions) action.exec?.(action.info, action.params);
    for (const fn of this.deferred) fn();
    this.reset();
    return snapshot;
  }
}
