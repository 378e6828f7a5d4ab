/**
 * GetTaxi's geometry: great-circle distances and the fixed lat/lon grid whose cells are the keys of
 * the region actors (surge) and of the matchers. A cell of `cellDeg` degrees is named
 * `r_<floor(lat/cellDeg)>_<floor(lon/cellDeg)>`: with the default 0.01°, (48.8534, 2.3488) is
 * `r_4885_234`, a cell of 1.11 km north–south and 1.11 km × cos(lat) east–west (0.73 km in Paris).
 * Indices are computed in integer micro-degrees, so 48.85 lands in row 4885, not 4884.999….
 * The grid does not wrap at the antimeridian: a cell's neighbours across ±180° are not found.
 */

export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/** Mean Earth radius (IUGG), the R of the haversine formula everywhere in GetTaxi. */
export const EARTH_RADIUS_KM = 6371;

/** Kilometres per degree of latitude (and of longitude at the equator): 2πR / 360. */
export const KM_PER_DEGREE = (2 * Math.PI * EARTH_RADIUS_KM) / 360;

const MICRO = 1_000_000;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance by the haversine formula, in km. */
export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Length of a path through the points, in order, in km. */
export function pathKm(points: readonly LatLon[]): number {
  let km = 0;
  for (let i = 1; i < points.length; i++) km += haversineKm(points[i - 1], points[i]);
  return km;
}

const micro = (deg: number) => Math.round(deg * MICRO);
const index = (deg: number, cellDeg: number) => Math.floor(micro(deg) / micro(cellDeg));
const name = (row: number, col: number) => `r_${row}_${col}`;

/** The id of the cell holding the point. */
export function cellOf(point: LatLon, cellDeg: number): string {
  return name(index(point.lat, cellDeg), index(point.lon, cellDeg));
}

/**
 * Every cell some point of which may lie within `radiusKm` of `point`: the cells meeting the
 * bounding box of the circle. The box is conservative — its east–west half-width uses the cosine of
 * the latitude farthest from the equator, plus 10% for the curvature of great circles — so a taxi
 * announced to these cells is seen by every matcher whose requests it could serve.
 */
export function cellsWithin(point: LatLon, radiusKm: number, cellDeg: number): string[] {
  const dLat = radiusKm / KM_PER_DEGREE;
  const farthest = Math.min(89, Math.abs(point.lat) + dLat);
  const dLon = Math.min(180, (1.1 * radiusKm) / (KM_PER_DEGREE * Math.cos(rad(farthest))));
  const rows = [index(Math.max(-90, point.lat - dLat), cellDeg), index(Math.min(90, point.lat + dLat), cellDeg)];
  const cols = [index(Math.max(-180, point.lon - dLon), cellDeg), index(Math.min(180, point.lon + dLon), cellDeg)];
  const cells: string[] = [];
  for (let r = rows[0]; r <= rows[1]; r++) for (let c = cols[0]; c <= cols[1]; c++) cells.push(name(r, c));
  return cells;
}
