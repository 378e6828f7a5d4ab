/** MovieFlix (video analytics): resume points, viewer profiles and recommendations in real time. */
import type { AppModule } from '../AppModule.js';
import { hostMovieflix } from './hostMovieflix.js';
import { movieflixApp } from './movieflixApp.js';
import { simulateMovieflix } from './movieflixSimulation.js';

export const movieflixModule: AppModule = {
  name: 'movieflix',
  definition: () => movieflixApp(),
  host: hostMovieflix,
  // Short, so that dropped shows are disliked within a run.
  simulationEnv: { KASTOR_MOVIEFLIX_DISLIKE_AFTER_MS: String(10 * 60_000), KASTOR_FILE_SINK_ROTATE_MS: '60000' },
  simulate: simulateMovieflix,
};
