/**
 * SQLite implementation of GetTaxi's read model (src/apps/gettaxi/GettaxiReadModel.ts).
 *
 *   gettaxi_rides(ride_id PK, user_id, status, taxi_id, surge, cost, reason, region, requested_at,
 *                 picked_up_at, dropped_off_at, distance_km, duration_min, version)
 *     — a row per ride: `ride.requested` inserts it at version 0 (status requested), each
 *       `ride.status_changed` replaces it when its version is higher
 *   gettaxi_surge(region PK, surge, supply, demand, at) — the latest `surge.changed` by event time
 * Written by the projection inside the commit transaction; read through a separate connection (WAL
 * lets readers run beside the writer), so queries never touch the write path.
 */
import type { Statement } from 'better-sqlite3';
import type { RideRequested, RideStatus, RideStatusChanged, SurgeChanged } from '../../actors/gettaxi/events.js';
import { type GettaxiTopics, datasetOf, gettaxiTopics } from '../../config/gettaxi.js';
import type { GettaxiReadModel, RideView, SurgeView, TaxiView } from '../../src/apps/gettaxi/GettaxiReadModel.js';
import type { EventEnvelope, EventSchema } from '../../src/events/EventSchema.js';
import type { Projection } from '../../src/host/ProjectionStage.js';
import type { StoreTransaction } from '../../src/store/StateStore.js';
import type { SqliteDatabase } from './SqliteStateStore.js';
import { hasTable } from './hasTable.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gettaxi_rides (
  ride_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL, taxi_id TEXT,
  surge REAL NOT NULL, cost REAL, reason TEXT, region TEXT NOT NULL, requested_at TEXT NOT NULL,
  picked_up_at TEXT, dropped_off_at TEXT, distance_km REAL, duration_min REAL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS gettaxi_rides_by_user ON gettaxi_rides(user_id, status);
CREATE TABLE IF NOT EXISTS gettaxi_surge (
  region TEXT PRIMARY KEY, surge REAL NOT NULL, supply INTEGER NOT NULL, demand INTEGER NOT NULL, at TEXT NOT NULL);
`;

interface RideRow {
  ride_id: string; user_id: string; status: RideStatus; taxi_id: string | null; surge: number; cost: number | null;
  reason: string | null; region: string; requested_at: string; distance_km: number | null; duration_min: number | null;
  version: number;
}

export class SqliteGettaxiReadModel implements GettaxiReadModel {
  readonly projection: Projection;
  // Prepared once, not per request.
  private readonly selectRide: Statement<[string], RideRow>;
  private readonly selectSurge: Statement<[string], SurgeView>;
  private readonly selectSurges: Statement<[], SurgeView>;
  private readonly selectActive: Statement<[number], RideRow>;
  private readonly taxiPositionTopic: string;

  /** `read` is a second connection to the same file for queries (defaults to `write`). */
  constructor(write: SqliteDatabase, private readonly read: SqliteDatabase = write, topics: GettaxiTopics = gettaxiTopics) {
    write.exec(SCHEMA);
    this.selectRide = read.prepare('SELECT * FROM gettaxi_rides WHERE ride_id = ?');
    this.selectSurge = read.prepare('SELECT region, surge, supply, demand, at FROM gettaxi_surge WHERE region = ?');
    this.selectSurges = read.prepare('SELECT region, surge, supply, demand, at FROM gettaxi_surge ORDER BY region');
    this.selectActive = read.prepare(
      "SELECT * FROM gettaxi_rides WHERE status IN ('requested', 'matched', 'picked_up') ORDER BY requested_at DESC, ride_id LIMIT ?");
    this.taxiPositionTopic = topics.taxiPosition.name;
    this.projection = {
      // Every instance keeps every ride and the surge per region: any instance answers a rider's
      // ride, and the edge's checks (a report on a ride that does not exist: 400) ask the same rows.
      everyInstance: true,
      name: `${datasetOf(topics)}.read_model`,
      inputs: new Map<string, EventSchema<EventEnvelope>>([
        [topics.rideRequests.name, topics.rideRequests.schema],
        [topics.rideStatus.name, topics.rideStatus.schema],
        [topics.surgePricing.name, topics.surgePricing.schema],
      ]),
      apply: (event, tx) => this.apply(event as RideRequested | RideStatusChanged | SurgeChanged, tx),
    };
  }

  ride(rideId: string): RideView | undefined {
    const row = this.selectRide.get(rideId);
    return row && rideView(row);
  }

  surge(region: string): SurgeView | undefined {
    return this.selectSurge.get(region);
  }

  surges(): SurgeView[] {
    return this.selectSurges.all();
  }

  activeRides(limit: number): RideView[] {
    return this.selectActive.all(limit).map(rideView);
  }

  taxis(since: string, limit: number): TaxiView[] {
    // The positions are kept by the analytics sink (hostGettaxi.ts), in the same database.
    if (!hasTable(this.read, 'analytics_records')) return [];
    // The bare columns of an aggregate query with max() are taken from the row holding the max.
    const rows = this.read
      .prepare<[string, string, number], { taxiId: string; lat: number; lon: number; available: number | null; at: string }>(
        `SELECT key AS taxiId, value ->> '$.lat' AS lat, value ->> '$.lon' AS lon, value ->> '$.available' AS available,
                max(event_at) AS at
         FROM analytics_records WHERE topic = ? AND type = 'taxi.position_reported' AND event_at >= ?
         GROUP BY key ORDER BY key LIMIT ?`)
      .all(this.taxiPositionTopic, since, limit);
    const riding = new Map<string, string>();
    for (const ride of this.selectActive.all(10_000)) if (ride.taxi_id && ride.status !== 'requested') riding.set(ride.taxi_id, ride.ride_id);
    return rows.map((r) => ({
      taxiId: r.taxiId, lat: r.lat, lon: r.lon, at: r.at,
      available: r.available === null ? null : r.available === 1, rideId: riding.get(r.taxiId) ?? null,
    }));
  }

  private apply(event: RideRequested | RideStatusChanged | SurgeChanged, tx: StoreTransaction): void {
    switch (event.type) {
      case 'ride.requested':
        // Only if the ride actor has not written it yet (the two topics are read independently).
        tx.run(
          `INSERT OR IGNORE INTO gettaxi_rides (ride_id, user_id, status, surge, region, requested_at, version)
           VALUES (?, ?, 'requested', ?, ?, ?, 0)`,
          [event.rideId, event.userId, event.surge, event.region, event.at],
        );
        return;
      case 'ride.status_changed':
        tx.run(
          `INSERT INTO gettaxi_rides (ride_id, user_id, status, taxi_id, surge, cost, reason, region, requested_at,
             picked_up_at, dropped_off_at, distance_km, duration_min, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (ride_id) DO UPDATE SET user_id = excluded.user_id, status = excluded.status,
             taxi_id = excluded.taxi_id, surge = excluded.surge, cost = excluded.cost, reason = excluded.reason,
             region = excluded.region, requested_at = excluded.requested_at, picked_up_at = excluded.picked_up_at,
             dropped_off_at = excluded.dropped_off_at, distance_km = excluded.distance_km,
             duration_min = excluded.duration_min, version = excluded.version
           WHERE excluded.version > gettaxi_rides.version`,
          [event.rideId, event.userId, event.status, event.taxiId, event.surge, event.cost, event.reason, event.region,
            event.requestedAt, event.pickedUpAt, event.droppedOffAt, event.distanceKm, event.durationMin, event.version],
        );
        return;
      case 'surge.changed':
        tx.run(
          `INSERT INTO gettaxi_surge (region, surge, supply, demand, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (region) DO UPDATE SET surge = excluded.surge, supply = excluded.supply,
             demand = excluded.demand, at = excluded.at
           WHERE excluded.at >= gettaxi_surge.at`,
          [event.region, event.surge, event.supply, event.demand, event.at],
        );
    }
  }
}

function rideView(row: RideRow): RideView {
  return {
    rideId: row.ride_id, userId: row.user_id, status: row.status, taxiId: row.taxi_id, surge: row.surge, cost: row.cost,
    reason: row.reason, region: row.region, requestedAt: row.requested_at, distanceKm: row.distance_km,
    durationMin: row.duration_min, version: row.version,
  };
}
