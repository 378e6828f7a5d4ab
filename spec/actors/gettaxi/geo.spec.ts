import { expect } from 'chai';
import { KM_PER_DEGREE, cellOf, cellsWithin, haversineKm, pathKm } from '../../../actors/gettaxi/geo.js';
import { seededRandom } from '../../../src/ids/IdSource.js';

describe('gettaxi geometry', () => {
  it('names cells on a 0.01° grid without floating-point slips', () => {
    expect(cellOf({ lat: 48.85, lon: 2.35 }, 0.01)).to.equal('r_4885_235');
    expect(cellOf({ lat: 48.8534, lon: 2.3488 }, 0.01)).to.equal('r_4885_234');
    expect(cellOf({ lat: -33.8568, lon: 151.2153 }, 0.01)).to.equal('r_-3386_15121');
    expect(cellOf({ lat: 0.29, lon: -0.0001 }, 0.01)).to.equal('r_29_-1');
  });

  it('measures a degree of meridian as 2πR/360 and a path leg by leg', () => {
    expect(haversineKm({ lat: 48, lon: 2 }, { lat: 49, lon: 2 })).to.be.closeTo(KM_PER_DEGREE, 1e-9);
    expect(KM_PER_DEGREE).to.be.closeTo(111.19493, 1e-5);
    // Paris → London, about 344 km.
    expect(haversineKm({ lat: 48.8566, lon: 2.3522 }, { lat: 51.5072, lon: -0.1276 })).to.be.closeTo(343.5, 1);
    const legs = [{ lat: 0, lon: 0 }, { lat: 0, lon: 1 }, { lat: 1, lon: 1 }];
    expect(pathKm(legs)).to.be.closeTo(2 * KM_PER_DEGREE, 1e-9);
  });

  it('announces a taxi to every cell holding a point within the radius (sampled)', () => {
    const random = seededRandom(42);
    for (const [lat0, radius] of [[48.85, 1], [0.5, 2], [-60.2, 1], [70.1, 0.5]] as const) {
      for (let i = 0; i < 100; i++) {
        const taxi = { lat: lat0 + random() * 0.05, lon: 10 + random() * 0.05 };
        const cells = new Set(cellsWithin(taxi, radius, 0.01));
        for (let j = 0; j < 20; j++) {
          const bearing = random() * 2 * Math.PI;
          const km = radius * Math.sqrt(random());
          const p = {
            lat: taxi.lat + (km * Math.cos(bearing)) / KM_PER_DEGREE,
            lon: taxi.lon + (km * Math.sin(bearing)) / (KM_PER_DEGREE * Math.cos((taxi.lat * Math.PI) / 180)),
          };
          if (haversineKm(taxi, p) > radius) continue;
          expect(cells.has(cellOf(p, 0.01)), `${JSON.stringify(p)} within ${radius} km of ${JSON.stringify(taxi)}`).to.equal(true);
        }
      }
    }
  });

  it('keeps the fan-out bounded at the default radius: at most 3 × 5 cells in Paris', () => {
    // ±0.009° of latitude spans at most 3 rows; ±0.015° of longitude (1.1 km / 73 km per degree) 5 columns.
    expect(cellsWithin({ lat: 48.855, lon: 2.355 }, 1, 0.01)).to.have.length(15);
    expect(cellsWithin({ lat: 48.86, lon: 2.37 }, 1, 0.01)).to.have.length(8); // centred: 2 rows × 4 columns
  });
});
