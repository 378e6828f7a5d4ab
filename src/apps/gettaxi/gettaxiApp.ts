/**
 * GetTaxi as the runtime runs it: five actors, the read model, and whatever stages the wiring adds
 * (the analytics sink for the position topics). Entities keyed differently from a topic read it
 * through a repartition topic (`rekey`):
 *   rider   (user_id) ← ride_requests, ride_status re-keyed by user
 *   ride    (ride_id) ← ride_updates
 *   matcher (cell)    ← match_requests, dispatch
 *   taxi    (taxi_id) ← taxi_position, taxi_assignments
 *   region  (cell)    ← dispatch, user_position and ride_requests re-keyed by cell, weather, events
 * The message flow of matching is described in actors/gettaxi/matcherMachine.ts.
 */
import type { UserPositionReported, RideRequested, RideStatusChanged } from '../../../actors/gettaxi/events.js';
import { cellOf } from '../../../actors/gettaxi/geo.js';
import { createMatcherMachine } from '../../../actors/gettaxi/matcherMachine.js';
import { createRegionMachine } from '../../../actors/gettaxi/regionMachine.js';
import { createRideMachine } from '../../../actors/gettaxi/rideMachine.js';
import { riderMachine } from '../../../actors/gettaxi/riderMachine.js';
import type { GettaxiSettings } from '../../../actors/gettaxi/settings.js';
import { createTaxiMachine } from '../../../actors/gettaxi/taxiMachine.js';
import { type GettaxiTopics, datasetOf, gettaxiSettings, gettaxiTopics } from '../../../config/gettaxi.js';
import type { EventEnvelope } from '../../events/EventSchema.js';
import type { AppDefinition } from '../../host/AppDefinition.js';
import type { Stage } from '../../host/Stage.js';
import type { GettaxiReadModel } from './GettaxiReadModel.js';

export interface GettaxiAppOptions {
  readonly readModel?: GettaxiReadModel;
  /** Further stages under the commit protocol, e.g. the analytics sink of the position topics. */
  readonly stages?: readonly Stage[];
  readonly topics?: GettaxiTopics;
  readonly settings?: GettaxiSettings;
}

export function gettaxiApp(options: GettaxiAppOptions = {}): AppDefinition {
  const t = options.topics ?? gettaxiTopics;
  const settings = options.settings ?? gettaxiSettings;
  const byCell = (e: EventEnvelope) => cellOf(e as unknown as UserPositionReported, settings.cellDeg);
  return {
    name: datasetOf(t),
    topics: Object.values(t),
    entities: [
      {
        name: 'rider',
        machine: riderMachine,
        inputs: [
          { topic: t.rideRequests },
          { topic: t.rideStatus, rekey: { keyName: 'user_id', key: (e) => (e as unknown as RideStatusChanged).userId } },
        ],
        outputs: { 'ride.opened': t.rideUpdates, 'ride.refused': t.rideUpdates },
      },
      {
        name: 'ride',
        machine: createRideMachine(settings),
        inputs: [{ topic: t.rideUpdates }],
        outputs: {
          'ride.status_changed': t.rideStatus,
          'ride.match_requested': t.matchRequests,
          'taxi.assignment_revoked': t.assignments,
        },
      },
      {
        name: 'matcher',
        machine: createMatcherMachine(settings),
        inputs: [{ topic: t.matchRequests }, { topic: t.dispatch }],
        outputs: { 'taxi.assignment_proposed': t.assignments, 'ride.unmatched': t.rideUpdates },
      },
      {
        name: 'taxi',
        machine: createTaxiMachine(settings),
        inputs: [{ topic: t.taxiPosition }, { topic: t.assignments }],
        outputs: {
          'taxi.located': t.dispatch,
          'taxi.departed': t.dispatch,
          'taxi.assignment_accepted': t.dispatch,
          'taxi.assignment_rejected': t.dispatch,
          'ride.matched': t.rideUpdates,
          'ride.position_traced': t.rideUpdates,
          'ride.picked_up': t.rideUpdates,
          'ride.dropped_off': t.rideUpdates,
        },
      },
      {
        name: 'region',
        machine: createRegionMachine(settings),
        inputs: [
          { topic: t.dispatch },
          { topic: t.userPosition, rekey: { keyName: 'region', key: byCell } },
          { topic: t.rideRequests, rekey: { keyName: 'region', key: (e) => (e as unknown as RideRequested).region } },
          { topic: t.weather },
          { topic: t.events },
        ],
        outputs: { 'surge.changed': t.surgePricing },
      },
    ],
    projections: options.readModel ? [options.readModel.projection] : [],
    stages: options.stages ?? [],
  };
}
