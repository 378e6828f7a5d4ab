/**
 * The stage supervisor's default policy (SPEC §1, "Supervision"; src/host/StageSupervisor.ts).
 * A stage whose runner fails is restarted after 1 s, 2 s, 4 s, 8 s, 16 s; a sixth failure within a
 * minute ends the process with exit code 1, for the outer supervisor (systemd, Kubernetes) to restart
 * it. RuntimeOptions.supervision overrides it; docs/operations.md describes it.
 */
import type { SupervisionPolicy } from '../src/host/StageSupervisor.js';

export const defaultSupervision: SupervisionPolicy = {
  maxRestarts: 5,
  windowMs: 60_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
};
