/**
 * The surge multiplier of a region from its supply (available taxis), its demand (riders), the
 * weather and the city events, all by event time:
 *
 *   base  = 1 + slope × max(0, demand / max(supply, 1) − 1)
 *   surge = min(max, base + weather boost + event boost), rounded to one decimal
 *
 * Rounding to 0.1 keeps `surge_pricing` quiet: a region publishes only when the multiplier moves.
 */
import type { SurgeSettings, WeatherCondition } from './settings.js';

/** Id → event time (epoch ms) it was last seen: a sliding window of distinct ids. */
export type Seen = Readonly<Record<string, number>>;

export interface Weather {
  readonly condition: WeatherCondition;
  /** Epoch ms; null while the report is in effect until the next one. */
  readonly validUntil: number | null;
}

export interface CityEvent {
  readonly eventId: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly attendance: number;
}

export const roundTenth = (x: number): number => Math.round(x * 10 + 1e-9) / 10;

/** Records `id` at `at` (keeping the later time) and drops what left the window ending at `now`. */
export function see(seen: Seen, id: string, at: number, now: number, windowMs: number): Seen {
  const next: Record<string, number> = {};
  for (const [k, t] of Object.entries(seen)) if (t > now - windowMs) next[k] = t;
  if (at > now - windowMs) next[id] = Math.max(at, next[id] ?? at);
  return next;
}

export function forget(seen: Seen, id: string): Seen {
  if (!(id in seen)) return seen;
  const next = { ...seen };
  delete next[id];
  return next;
}

/** Distinct ids seen in the window ending at `now`. */
export function countIn(seen: Seen, now: number, windowMs: number): number {
  let n = 0;
  for (const t of Object.values(seen)) if (t > now - windowMs && t <= now) n++;
  return n;
}

export function weatherBoost(settings: SurgeSettings, weather: Weather | null, now: number): number {
  if (!weather || (weather.validUntil !== null && now > weather.validUntil)) return 0;
  return settings.weatherBoost[weather.condition];
}

export function eventBoost(settings: SurgeSettings, events: readonly CityEvent[], now: number): number {
  let boost = 0;
  for (const e of events) {
    if (now < e.startsAt - settings.eventMarginMs || now > e.endsAt + settings.eventMarginMs) continue;
    const tier = settings.eventTiers.find((t) => e.attendance >= t.minAttendance);
    boost = Math.max(boost, tier?.boost ?? 0);
  }
  return boost;
}

export function surgeOf(settings: SurgeSettings, supply: number, demand: number, boost: number): number {
  const base = 1 + settings.slope * Math.max(0, demand / Math.max(supply, 1) - 1);
  return Math.min(settings.max, roundTenth(base + boost));
}
