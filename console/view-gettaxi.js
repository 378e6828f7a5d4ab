// GetTaxi: an SVG map over the region grid (no tiles: it must work offline). Each region is shaded
// by its surge multiplier; taxis are dots at their latest position (green available, blue on a
// ride, grey off duty); open ride requests and rides under way are counted on their region.
import { el } from './api.js';
import { num, table, time } from './tables.js';

const SVG = 'http://www.w3.org/2000/svg';
const CELL = 64; // pixels per cell
const MAX_SPAN = 40; // cells drawn at most across; beyond that only the regions with something in them

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** White at 1×, deepening to red at 3× and above. */
const shade = (surge) => `rgba(220, 38, 38, ${Math.min(1, Math.max(0, (surge - 1) / 2)) * 0.75})`;

export function renderGettaxi(body, data) {
  const { bounds, cellDeg } = data;
  if (!bounds) return body.replaceChildren(el('p', { class: 'hint' }, 'no taxis, rides or surges yet'));
  const rows = bounds.maxRow - bounds.minRow + 3;
  const cols = bounds.maxCol - bounds.minCol + 3;
  // North up: row grows with latitude, so y runs the other way.
  const x = (col) => (col - bounds.minCol + 1) * CELL;
  const y = (row) => (bounds.maxRow - row + 1) * CELL;
  const map = svg('svg', { id: 'taxi-map', viewBox: `0 0 ${cols * CELL} ${rows * CELL}`, width: Math.min(900, cols * CELL), role: 'img', 'aria-label': 'GetTaxi map' });
  const regions = new Map(data.regions.map((r) => [r.region, r]));
  if (rows <= MAX_SPAN && cols <= MAX_SPAN) {
    for (let row = bounds.minRow - 1; row <= bounds.maxRow + 1; row++) {
      for (let col = bounds.minCol - 1; col <= bounds.maxCol + 1; col++) {
        if (!regions.has(`r_${row}_${col}`)) map.append(svg('rect', { x: x(col), y: y(row), width: CELL, height: CELL, class: 'cell' }));
      }
    }
  }
  for (const r of data.regions) {
    const open = r.requested + r.matched + r.pickedUp;
    map.append(svg('g', { class: 'region', 'data-region': r.region },
      svg('title', {}, `${r.region}: surge ×${r.surge} (supply ${r.supply}, demand ${r.demand}); requested ${r.requested}, matched ${r.matched}, picked up ${r.pickedUp}`),
      svg('rect', { x: x(r.col), y: y(r.row), width: CELL, height: CELL, class: 'cell', fill: shade(r.surge) }),
      ...(r.surge > 1 ? [svg('text', { x: x(r.col) + 3, y: y(r.row) + 11, class: 'surge' }, `×${r.surge.toFixed(1)}`)] : []),
      ...(open > 0 ? [svg('text', { x: x(r.col) + CELL - 3, y: y(r.row) + CELL - 4, class: 'rides', 'text-anchor': 'end' }, `${open}▲`)] : []),
    ));
  }
  for (const t of data.taxis) {
    const col = t.lon / cellDeg;
    const row = t.lat / cellDeg;
    map.append(svg('circle', {
      cx: (col - bounds.minCol + 1) * CELL, cy: (bounds.maxRow + 1 - row + 1) * CELL, r: 5,
      class: `taxi ${t.state.replace(' ', '-')}`, 'data-taxi': t.taxiId,
    }, svg('title', {}, `${t.taxiId}: ${t.state}${t.rideId ? ` (${t.rideId})` : ''} at ${time(t.at)}`)));
  }
  body.replaceChildren(
    el('p', { class: 'legend' },
      el('span', { class: 'dot available' }), ' available ', el('span', { class: 'dot on-ride' }), ' on a ride ',
      el('span', { class: 'dot off-duty' }), ' off duty · regions shaded by surge · ▲ open rides'),
    map,
    el('h3', {}, `Rides under way (${data.rides.length})`),
    table(['Ride', 'Rider', 'Status', 'Taxi', 'Region', 'Surge', 'Requested'],
      data.rides.slice(0, 20).map((r) => [r.rideId, r.userId, r.status, r.taxiId ?? '–', r.region, num(r.surge), time(r.requestedAt)]), 'no open rides'),
  );
}
