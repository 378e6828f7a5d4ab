/**
 * GetTaxi in the console: the region grid (cells of `cellDeg` degrees, named `r_<row>_<col>`, the
 * keys of the region actors) with each region's surge, the taxis at their latest position (available
 * or on a ride) and the rides not yet over, counted per region (a ride request keeps its region,
 * not its point).
 */
import { z } from 'zod';
import { gettaxiSettings } from '../../../config/gettaxi.js';
import type { GettaxiReadModel } from '../../apps/gettaxi/GettaxiReadModel.js';
import { type DemoStep, consoleView } from './ConsoleView.js';

const cellOf = (region: string): { row: number; col: number } | undefined => {
  const m = /^r_(-?\d+)_(-?\d+)$/.exec(region);
  return m ? { row: Number(m[1]), col: Number(m[2]) } : undefined;
};

export const gettaxiView = consoleView<GettaxiReadModel>()({
  app: 'gettaxi',
  title: 'GetTaxi',
  reads: ['surges', 'taxis', 'activeRides'],
  query: z.object({ minutes: z.coerce.number().int().min(1).max(24 * 60).default(15) }),
  demo: () => gettaxiDemo(),
  read: (readModel, query, clock) => {
    const cellDeg = gettaxiSettings.cellDeg;
    const taxis = readModel.taxis(new Date(clock.now() - query.minutes * 60_000).toISOString(), 2000);
    const rides = readModel.activeRides(1000);
    const regions = new Map<string, { region: string; row: number; col: number; surge: number; supply: number; demand: number; requested: number; matched: number; pickedUp: number }>();
    const region = (name: string) => {
      let r = regions.get(name);
      const cell = cellOf(name);
      if (!r && cell) regions.set(name, (r = { region: name, ...cell, surge: 1, supply: 0, demand: 0, requested: 0, matched: 0, pickedUp: 0 }));
      return r;
    };
    for (const s of readModel.surges()) {
      const r = region(s.region);
      if (r) Object.assign(r, { surge: s.surge, supply: s.supply, demand: s.demand });
    }
    for (const ride of rides) {
      const r = region(ride.region);
      if (!r) continue;
      if (ride.status === 'requested') r.requested += 1;
      else if (ride.status === 'matched') r.matched += 1;
      else r.pickedUp += 1;
    }
    const taxiCells = taxis.map((t) => ({ row: Math.floor(t.lat / cellDeg), col: Math.floor(t.lon / cellDeg) }));
    const cells = [...regions.values(), ...taxiCells];
    const bounds = cells.length === 0 ? null : {
      minRow: Math.min(...cells.map((c) => c.row)), maxRow: Math.max(...cells.map((c) => c.row)),
      minCol: Math.min(...cells.map((c) => c.col)), maxCol: Math.max(...cells.map((c) => c.col)),
    };
    return {
      cellDeg, bounds,
      regions: [...regions.values()],
      taxis: taxis.map((t) => ({ ...t, state: t.rideId ? 'on ride' : t.available === false ? 'off duty' : 'available' })),
      rides,
    };
  },
});

/** Central Paris, where the demo's taxis drive and its riders ask for rides. */
const CENTRE = { lat: 48.8566, lon: 2.3522 };

interface DemoRide { readonly rideId: string; readonly userId: string; taxiId?: string; pickedUp: boolean; steps: number }

/**
 * Ten taxis wander around the centre, each reporting its position in turn. Now and then a rider
 * asks for a ride next to one; the demo follows its rides as their taxi would: picked up once
 * matched, dropped off a few steps later, so taxis go from available to on a ride and back.
 */
function gettaxiDemo(): DemoStep {
  const taxis = Array.from({ length: 10 }, (_, i) => ({
    taxiId: `taxi_${i + 1}`, lat: CENTRE.lat + (i % 5 - 2) * 0.008, lon: CENTRE.lon + (Math.floor(i / 5) * 2 - 1) * 0.01, busy: false,
  }));
  const rides: DemoRide[] = [];
  let next = 0;
  let riders = 0;
  return async (ctx) => {
    const taxi = taxis[next++ % taxis.length];
    taxi.lat += (ctx.random() - 0.5) * 0.004;
    taxi.lon += (ctx.random() - 0.5) * 0.006;
    const asTaxi = (taxiId: string) => ({ sub: taxiId, role: 'taxi' } as const);
    await ctx.call('POST', `/gettaxi/taxis/${taxi.taxiId}/position`, { lat: taxi.lat, lon: taxi.lon, available: !taxi.busy }, asTaxi(taxi.taxiId));
    if (rides.length < 4 && ctx.random() < 0.08) {
      const near = taxis[Math.floor(ctx.random() * taxis.length)];
      const userId = `rider_${(riders++ % 40) + 1}`;
      const res = await ctx.call('POST', '/gettaxi/rides', { userId, lat: near.lat + 0.002, lon: near.lon - 0.002 }, { sub: userId, role: 'user' });
      if (res.status === 202) rides.push({ rideId: res.body.rideId as string, userId, pickedUp: false, steps: 0 });
    }
    const ride = rides.shift();
    if (!ride) return;
    ride.steps += 1;
    if (!ride.taxiId) {
      // The ride is readable once projected: give it a moment.
      if (ride.steps < 2) return void rides.push(ride);
      const seen = await ctx.call('GET', `/gettaxi/rides/${ride.rideId}`, undefined, { sub: ride.userId, role: 'user' });
      if (seen.status === 200 && (seen.body.status === 'cancelled' || seen.body.status === 'completed')) return;
      if (seen.status === 200 && seen.body.status === 'matched' && seen.body.taxiId) ride.taxiId = seen.body.taxiId as string;
      if (ride.steps < 40) rides.push(ride);
      return;
    }
    const carrier = taxis.find((t) => t.taxiId === ride.taxiId);
    const at = carrier ? { lat: carrier.lat, lon: carrier.lon } : {};
    if (!ride.pickedUp) {
      const res = await ctx.call('POST', `/gettaxi/rides/${ride.rideId}/pickup`, { taxiId: ride.taxiId, ...at }, asTaxi(ride.taxiId));
      ride.pickedUp = res.status === 202;
      if (carrier && ride.pickedUp) carrier.busy = true;
      rides.push(ride);
    } else if (ride.steps > 12) {
      await ctx.call('POST', `/gettaxi/rides/${ride.rideId}/dropoff`, { taxiId: ride.taxiId, ...at }, asTaxi(ride.taxiId));
      if (carrier) carrier.busy = false;
    } else {
      rides.push(ride);
    }
  };
}
