/**
 * MovieFlix as the runtime runs it: the viewer actor (key user_id) on `show_position`, its outputs
 * `user_profiles` and `recommendations`, the read model, and further stages such as the analytics
 * sink that keeps every position in the analytics store.
 */
import type { Catalog } from '../../../actors/movieflix/catalog.js';
import type { PopularityScores } from '../../../actors/movieflix/recommend.js';
import { createViewerMachine } from '../../../actors/movieflix/viewerMachine.js';
import {
  type MovieflixSettings, type MovieflixTopics, datasetOf, movieflixCatalog, movieflixSettings, movieflixTopics,
} from '../../../config/movieflix.js';
import type { AppDefinition } from '../../host/AppDefinition.js';
import type { Stage } from '../../host/Stage.js';
import type { MovieflixReadModel } from './MovieflixReadModel.js';

export interface MovieflixAppOptions {
  readonly readModel?: MovieflixReadModel;
  /** The popularity the recommendation engine reads (PopularityJob.current); none: genres only. */
  readonly popularity?: () => PopularityScores;
  /** Further stages, e.g. the SQLite analytics sink on `show_position`. */
  readonly stages?: readonly Stage[];
  readonly catalog?: Catalog;
  readonly settings?: Partial<MovieflixSettings>;
  readonly topics?: MovieflixTopics;
  readonly maxLiveActors?: number;
}

export function movieflixApp(options: MovieflixAppOptions = {}): AppDefinition {
  const t = options.topics ?? movieflixTopics;
  const settings = { ...movieflixSettings, ...options.settings };
  return {
    name: datasetOf(t),
    topics: Object.values(t),
    entities: [
      {
        name: 'viewer',
        machine: createViewerMachine({ catalog: options.catalog ?? movieflixCatalog, settings, popularity: options.popularity }),
        inputs: [{ topic: t.showPosition }],
        outputs: {
          'movieflix.profile_changed': t.userProfiles,
          'movieflix.recommendations_changed': t.recommendations,
        },
        maxLiveActors: options.maxLiveActors,
      },
    ],
    projections: options.readModel ? [options.readModel.projection] : [],
    stages: options.stages ?? [],
  };
}
