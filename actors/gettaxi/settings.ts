/**
 * What GetTaxi's machines are built with. The values live in `config/gettaxi.ts`; the machines are
 * made by factories taking these settings, so that specs can use small windows and the actors never
 * import configuration.
 */

export type WeatherCondition = 'clear' | 'rain' | 'snow' | 'storm';

export interface Tariff {
  /** Flat part of every fare. */
  readonly baseFare: number;
  readonly perKm: number;
  readonly perMinute: number;
  readonly currency: string;
}

export interface SurgeSettings {
  /** Supply and demand count what was seen in the last `windowMs` of event time. */
  readonly windowMs: number;
  /** Surge = 1 + slope × (demand / max(supply, 1) − 1) when demand exceeds supply… */
  readonly slope: number;
  /** …plus the weather and event boosts, capped at `max`, in steps of 0.1. */
  readonly max: number;
  readonly weatherBoost: Readonly<Record<WeatherCondition, number>>;
  /** Boost of a city event by expected attendance: the first tier whose `minAttendance` it reaches. */
  readonly eventTiers: ReadonlyArray<{ readonly minAttendance: number; readonly boost: number }>;
  /** An event raises the surge from this long before it starts until this long after it ends. */
  readonly eventMarginMs: number;
}

export interface GettaxiSettings {
  /** Side of a grid cell in degrees: the key of region actors and matchers. */
  readonly cellDeg: number;
  /** Matching pairs a request with the nearest available taxi within this distance. */
  readonly matchRadiusKm: number;
  /** A taxi not announced for this long (event time) is not offered to riders. */
  readonly taxiFreshMs: number;
  /** An available taxi re-announces itself to the matchers at least this often… */
  readonly announceEveryMs: number;
  /** …and whenever it moved this far since its last announcement. */
  readonly announceMoveKm: number;
  /** At most this many position points are kept in a ride's trace (the distance keeps counting). */
  readonly maxTracePoints: number;
  readonly surge: SurgeSettings;
  readonly tariff: Tariff;
  /** The reference ride the estimate service prices. */
  readonly estimateBasis: { readonly km: number; readonly minutes: number };
}
