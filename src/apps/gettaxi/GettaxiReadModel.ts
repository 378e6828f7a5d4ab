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

/** A taxi's latest reported position (from the analytics store of the position topics). */
export interface TaxiView {
  readonly taxiId: string;
  readonly lat: number;
  readonly lon: number;
  /** The driver's own flag; null when the device did not say. */
  readonly available: boolean | null;
  /** The event time of the position. */
  readonly at: string;
  /** The ride it is matched to or carrying, if any. */
  readonly rideId: string | null;
}

export interface GettaxiReadModel {
  /** The write side of the read model, run by the runtime under the commit protocol. */
  readonly projection: Projection;
  ride(rideId: string): RideView | undefined;
  /** The region's latest surge; undefined for a region that never surged (its multiplier is 1). */
  surge(region: string): SurgeView | undefined;
  /** Every region's latest surge, by region. */
  surges(): SurgeView[];
  /** Rides requested, matched or picked up (not completed nor cancelled), newest first. */
  activeRides(limit: number): RideView[];
  /** Taxis that reported a position at or after `since` (ISO), each at its latest one, by id. */
  taxis(since: string, limit: number): TaxiView[];
}
