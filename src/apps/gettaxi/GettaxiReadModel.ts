/**
 * The read side of GetTaxi: what the ride-status and taxi-cost services read. The projection fills
 * it from `ride_requests` (a ride is visible as `requested` as soon as it is asked for),
 * `ride_status` (every later change, the highest version winning) and `surge_pricing` (the latest
 * multiplier per region); `adapters/sqlite/SqliteGettaxiReadModel.ts` keeps it in SQLite.
 */
import type { RideStatus } from '../../../actors/gettaxi/events.js';
import type { Projection } from '../../host/ProjectionStage.js';

export interface RideView {
  readonly rideId: string;
  readonly userId: string;
  readonly status: RideStatus;
  readonly taxiId: string | null;
  /** The multiplier quoted at request time. */
  readonly surge: number;
  /** The fare, once completed. */
  readonly cost: number | null;
  /** Why it was cancelled. */
  readonly reason: string | null;
  readonly region: string;
  readonly requestedAt: string;
  readonly distanceKm: number | null;
  readonly durationMin: number | null;
  readonly version: number;
}

export interface SurgeView {
  readonly region: string;
  readonly surge: number;
  readonly supply: number;
  readonly demand: number;
  readonly at: string;
}

export interface GettaxiReadModel {
  /** The write side of the read model, run by the runtime under the commit protocol. */
  readonly projection: Projection;
  ride(rideId: string): RideView | undefined;
  /** The region's latest surge; undefined for a region that never surged (its multiplier is 1). */
  surge(region: string): SurgeView | undefined;
}
