/**
 * The region actor (key: a grid cell, `r_<row>_<col>`, see geo.ts): supply and demand of its cell
 * over a sliding window of event time, and the surge multiplier they make (surge.ts), published to
 * `surge_pricing` whenever it moves.
 *   supply: distinct taxis announced available in this very cell (`taxi.located` with `cell` = the
 *           region; taxis re-announce at least every `announceEveryMs`, and withdraw on `departed`);
 *   demand: distinct riders seen in the cell — positions (`user_position` re-keyed by cell) and
 *           ride requests (`ride_requests` re-keyed by cell);
 *   weather (`weather`) and city events (`events`) add their boosts.
 * The window slides with the latest event time the region has seen; a quiet region keeps its last
 * multiplier until its next event.
 */
import { enqueueActions, setup } from 'xstate';
import type {
  CityEvent as CityEventMessage, DispatchEvent, Out, RideRequested, SurgeChanged, UserPositionReported, WeatherReported,
} from './events.js';
import type { GettaxiSettings } from './settings.js';
import { type CityEvent, type Seen, type Weather, countIn, eventBoost, forget, see, surgeOf, weatherBoost } from './surge.js';

export interface RegionContext {
  readonly region: string;
  /** Latest event time seen, epoch ms: the end of the window. */
  readonly now: number;
  readonly supply: Seen;
  readonly demand: Seen;
  readonly weather: Weather | null;
  readonly events: readonly CityEvent[];
  /** The multiplier last published (1 until the first change). */
  readonly surge: number;
}

type RegionEvent = DispatchEvent | UserPositionReported | RideRequested | WeatherReported | CityEventMessage;

export function createRegionMachine(settings: GettaxiSettings) {
  const s = settings.surge;
  return setup({
    types: {
      context: {} as RegionContext,
      events: {} as RegionEvent,
      input: {} as { key: string },
      emitted: {} as Out<SurgeChanged>,
    },
    actions: {
      apply: enqueueActions(({ context, event, enqueue }) => {
        const at = Date.parse(event.at);
        const now = Math.max(context.now, at);
        let { supply, demand, weather, events } = context;
        switch (event.type) {
          case 'taxi.located':
            supply = event.cell === context.region ? see(supply, event.taxiId, at, now, s.windowMs) : forget(supply, event.taxiId);
            break;
          case 'taxi.departed':
            supply = forget(supply, event.taxiId);
            break;
          case 'user.position_reported':
          case 'ride.requested':
            demand = see(demand, event.userId, at, now, s.windowMs);
            break;
          case 'weather.reported':
            weather = { condition: event.condition, validUntil: event.validUntil ? Date.parse(event.validUntil) : null };
            break;
          case 'city_event.scheduled':
            events = [...events.filter((e) => e.eventId !== event.eventId), {
              eventId: event.eventId, startsAt: Date.parse(event.startsAt), endsAt: Date.parse(event.endsAt), attendance: event.attendance,
            }];
            break;
          case 'city_event.cancelled':
            events = events.filter((e) => e.eventId !== event.eventId);
            break;
          default:
            return; // the taxis' replies to matchers share the dispatch topic
        }
        // Past events and expired weather no longer matter.
        events = events.filter((e) => e.endsAt + s.eventMarginMs >= now);
        if (weather?.validUntil != null && weather.validUntil < now) weather = null;
        const nSupply = countIn(supply, now, s.windowMs);
        const nDemand = countIn(demand, now, s.windowMs);
        const wBoost = weatherBoost(s, weather, now);
        const eBoost = eventBoost(s, events, now);
        const surge = surgeOf(s, nSupply, nDemand, wBoost + eBoost);
        enqueue.assign({ now, supply, demand, weather, events, surge });
        if (surge === context.surge) return;
        enqueue.emit({
          type: 'surge.changed', key: context.region, region: context.region, surge,
          supply: nSupply, demand: nDemand, weatherBoost: wBoost, eventBoost: eBoost,
        });
      }),
    },
  }).createMachine({
    id: 'region',
    context: ({ input }) => ({ region: input.key, now: 0, supply: {}, demand: {}, weather: null, events: [], surge: 1 }),
    on: {
      'taxi.located': { actions: 'apply' },
      'taxi.departed': { actions: 'apply' },
      'user.position_reported': { actions: 'apply' },
      'ride.requested': { actions: 'apply' },
      'weather.reported': { actions: 'apply' },
      'city_event.scheduled': { actions: 'apply' },
      'city_event.cancelled': { actions: 'apply' },
    },
  });
}
