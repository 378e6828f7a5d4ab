/** What a simulation checks at the end of a run: a property that held or not, with what it looked at. */
export interface Invariant {
  readonly name: string;
  readonly held: boolean;
  readonly detail?: string;
}
