/** MySocialMedia in the console: the trending posts of the current window and the newest posts with their counts. */
import { z } from 'zod';
import type { SocialReadModel } from '../../apps/social/SocialReadModel.js';
import { consoleView } from './ConsoleView.js';

export const socialView = consoleView<SocialReadModel>()({
  app: 'social',
  title: 'MySocialMedia',
  reads: ['trending', 'feed'],
  query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
  read: (readModel, query) => ({ trending: readModel.trending(10), newest: readModel.feed(query.limit) }),
});
