/**
 * The points between the steps of the commit protocol (SPEC §1) at which a crash can happen.
 * Specs and the simulation inject a crash at each to prove that nothing is lost or doubled.
 */
export const COMMIT_STEPS = [
  'received', // a batch arrived, nothing done yet
  'processed', // steps 1–2: delivered to the actors, outbox collected (in memory only)
  'stored', // step 3: snapshots + outbox + offsets committed to the store
  'produced', // step 4a: the outbox confirmed by the broker
  'outbox-cleared', // step 4b: sent rows deleted
  'offsets-committed', // step 5: advisory offsets committed to the broker
] as const;

export type CommitStep = (typeof COMMIT_STEPS)[number];

/** Thrown by a fault hook to kill the runner on the spot, as kill -9 would. */
export class SimulatedCrash extends Error {
  constructor(readonly step: CommitStep) {
    super(`simulated crash after step '${step}'`);
    this.name = 'SimulatedCrash';
  }
}

export type FaultHook = (step: CommitStep, stage: string) => void;
