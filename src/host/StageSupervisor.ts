/**
 * One-for-one supervision of a stage (SPEC §1, "Supervision"): when the stage's runner fails — its
 * pipeline errors, or a batch keeps failing past its attempts — the runner is already dead (consumer
 * closed, partitions revoked); the supervisor discards the stage's in-memory state (actors go back
 * to their snapshots), waits out a backoff and starts a new runner, which resumes from the store's
 * offsets and re-sends the outbox as every start does. The other stages are not touched.
 *
 * At most `maxRestarts` restarts within `windowMs`, each after a backoff that doubles from
 * `initialBackoffMs` up to `maxBackoffMs`; past that the supervisor gives up and reports an
 * unrecoverable fault, which ends the process non-zero so that the outer supervisor restarts it.
 *
 * A fatal broker error (the client cannot go on, src/broker/errors.ts) is not the stage's fault and no
 * restart mends it: the supervisor gives up on it at once.
 *
 * Only failures the runner reports as fatal are supervised. A kill — the runtime's, or a crash the
 * simulation injects (SimulatedCrash) — is the death of the whole process, restarted from outside.
 */
import type { Clock, TimerHandle } from '../clock/Clock.js';
import type { Logger } from '../log/Logger.js';
import { silentLogger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { isFatalBrokerError } from '../broker/errors.js';
import type { Stage } from './Stage.js';
import type { StageRunner } from './StageRunner.js';

export interface SupervisionPolicy {
  /** Restarts allowed within `windowMs`; one more failure and the supervisor gives up. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  /** Wait before the first restart in a window; doubled for each further one. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/**
 * `running`: its runner consumes. `down`: its runner is not running and nothing supervises that (not
 * started yet, or killed with the process). `backing-off`: failed, a restart is due. `given-up`: the
 * policy is exhausted and the process is ending. `stopped`: drained.
 */
export type StageStatus = 'running' | 'down' | 'backing-off' | 'given-up' | 'stopped';

/** A stage failed more often than its policy allows: the process must end (not retriable here). */
export class StageGaveUp extends Error {
  constructor(readonly stage: string, readonly restarts: number, readonly windowMs: number, cause: Error) {
    super(`stage ${stage} failed after ${restarts} restarts within ${windowMs} ms; giving up: ${cause.message}`, { cause });
    this.name = 'StageGaveUp';
  }
}

export interface StageSupervisorOptions {
  readonly stage: Stage;
  /** A fresh runner for the stage, reporting its fatal faults to `onFatal`. */
  readonly runner: (onFatal: (error: Error) => void) => StageRunner;
  readonly policy: SupervisionPolicy;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** The policy gave up on the stage (StageGaveUp), or a fatal broker error ended it. */
  readonly onGiveUp: (error: Error) => void;
}

export class StageSupervisor {
  readonly stage: Stage;
  private readonly opts: StageSupervisorOptions;
  private readonly log: Logger;
  private readonly labels: { stage: string };
  private readonly restartsTotal?: (labels: { stage: string }, by?: number) => void;
  private readonly up?: (labels: { stage: string }, value: number) => void;
  private current: StageRunner;
  private phase: Exclude<StageStatus, 'down'> = 'running';
  /** When each restart within the current window was decided. */
  private restarts: number[] = [];
  private timer?: TimerHandle;

  constructor(options: StageSupervisorOptions) {
    this.opts = options;
    this.stage = options.stage;
    this.log = (options.logger ?? silentLogger).child({ stage: options.stage.name });
    this.labels = { stage: options.stage.name };
    this.restartsTotal = options.metrics?.counter('kastor_stage_restarts_total', 'Stage runners restarted by their supervisor');
    this.up = options.metrics?.gauge('kastor_stage_up', 'Whether the stage runs (0 while it backs off or once its supervisor gave up)');
    this.current = this.create();
  }

  /** The stage's current runner (a dead one while a restart is due). */
  get runner(): StageRunner {
    return this.current;
  }

  get status(): StageStatus {
    if (this.phase !== 'running') return this.phase;
    return this.current.running ? 'running' : 'down';
  }

  async start(): Promise<void> {
    this.restartsTotal?.(this.labels, 0);
    this.up?.(this.labels, 1);
    await this.current.start();
  }

  /** Drains the runner; a restart that is due is called off. */
  async stop(): Promise<void> {
    this.halt();
    await this.current.stop();
  }

  /** As kill -9: the runner dies and no restart follows. */
  async kill(reason: Error): Promise<void> {
    this.halt();
    await this.current.kill(reason);
  }

  private create(): StageRunner {
    const runner: StageRunner = this.opts.runner((error) => this.failed(runner, error));
    return runner;
  }

  /** The runner reported a fatal fault; it has killed itself already. */
  private failed(runner: StageRunner, error: Error): void {
    if (runner !== this.current || this.phase !== 'running') return;
    // What the stage holds in memory may be half of a failed batch: back to the stored snapshots.
    this.stage.abort?.();
    this.stage.close?.();
    this.up?.(this.labels, 0);
    const { maxRestarts, windowMs, initialBackoffMs, maxBackoffMs } = this.opts.policy;
    const now = this.opts.clock.now();
    this.restarts = this.restarts.filter((at) => at > now - windowMs);
    if (isFatalBrokerError(error)) {
      this.phase = 'given-up';
      this.log.error('stage cannot go on: its broker client met a fatal error', { error });
      this.opts.onGiveUp(error);
      return;
    }
    if (this.restarts.length >= maxRestarts) {
      this.phase = 'given-up';
      const gaveUp = new StageGaveUp(this.stage.name, this.restarts.length, windowMs, error);
      this.log.error('stage supervisor gave up', { error: gaveUp });
      this.opts.onGiveUp(gaveUp);
      return;
    }
    const backoffMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** this.restarts.length);
    this.restarts.push(now);
    this.phase = 'backing-off';
    this.log.warn('stage failed; restarting it after a backoff', { error, backoffMs, restart: this.restarts.length });
    // The dead runner closes its consumer before `crashed` resolves: the new one joins the group after.
    void runner.crashed.then(() => {
      if (this.phase === 'backing-off') this.timer = this.opts.clock.setTimeout(() => void this.restart(), backoffMs);
    });
  }

  private async restart(): Promise<void> {
    this.timer = undefined;
    if (this.phase !== 'backing-off') return;
    this.phase = 'running';
    this.current = this.create();
    this.restartsTotal?.(this.labels);
    this.up?.(this.labels, 1);
    const runner = this.current;
    try {
      await runner.start();
    } catch (e) {
      await runner.kill(e as Error);
      this.failed(runner, e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** No restart from now on; a supervisor that gave up still says so. */
  private halt(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.phase !== 'given-up') this.phase = 'stopped';
    this.up?.(this.labels, 0);
  }
}
