/**
 * GetTaxi in the console: the region grid (cells of `cellDeg` degrees, named `r_<row>_<col>`, the
 * keys of the region actors) with each region's surge, the taxis at their latest position (available
 * or on a ride) and the rides not yet over, counted per region (a ride request keeps its region,
 * not its point).
 */
import { z } from 'zod';
import { gettaxiSettings } from '../../../config/gettaxi.js';
import type { GettaxiReadModel } from '../../apps/gettaxi/GettaxiReadModel.js';
import { consoleView } from './ConsoleView.js';

const cellOf = (region: string): { row: number; col: number } | undefined => {
  const m = /^r_(-?\d+)_(-?\d+)$/.exec(region);
  return m ? { row: Number(m[1]), col: Number(m[2]) } : undefined;
};

export const gettaxiView = consoleView<GettaxiReadModel>()({
  app: 'gettaxi',
  title: 'GetTaxi',
  reads: ['surges', 'taxis', 'activeRides'],
  query: z.object({ minutes: z.coerce.number().int().min(1).max(24 * 60).default(15) }),
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
