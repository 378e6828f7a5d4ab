/**
 * The fare: cost = (base + per-km × distance along the trace + per-minute × duration) × the surge in
 * effect when the ride was requested, rounded to the cent. The estimate service prices a reference
 * ride with the same formula.
 */
import type { Tariff } from './settings.js';

/** Rounds to the cent, away from the binary fuzz of the product (14.2545… → 14.25). */
export const toCents = (amount: number): number => Math.round(amount * 100 + 1e-9) / 100;

export function rideCost(tariff: Tariff, distanceKm: number, durationMin: number, surge: number): number {
  return toCents((tariff.baseFare + tariff.perKm * distanceKm + tariff.perMinute * durationMin) * surge);
}

/** Minutes between two ISO times, never negative (device clocks may disagree slightly). */
export function minutesBetween(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from)) / 60_000;
}
