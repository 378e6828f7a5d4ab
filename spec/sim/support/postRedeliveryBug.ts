/**
 * An injected bug, for the sweep spec only (spec/sim/sweepInjectedBug.spec.ts): the social post
 * stage forgets which events it applied, so a redelivered or duplicated event reaches the post
 * actor again and a comment — or a like re-applied after its unlike — counts twice.
 *
 * Loaded into a `kastor simulate` child with `node --import tsx --import <this file>`: it wraps the
 * host's private `cell` lookup so that the post stage's cells answer "not seen" for every id. No
 * product code reads it or knows of it; the ESM module cache gives this file the same ActorHost
 * class the CLI then uses.
 */
import { ActorHost } from '../../../src/host/ActorHost.js';

interface CellLike {
  readonly seen: string[];
}
type CellLookup = (this: ActorHost, key: string, partition: number) => CellLike;

const proto = ActorHost.prototype as unknown as { cell: CellLookup };
const cell = proto.cell;
proto.cell = function (this: ActorHost, key: string, partition: number): CellLike {
  const found = cell.call(this, key, partition);
  if (/(^|\.)post$/.test(this.name)) Object.defineProperty(found.seen, 'includes', { value: () => false, configurable: true });
  return found;
};
