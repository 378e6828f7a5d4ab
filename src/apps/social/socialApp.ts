/** MySocialMedia as the runtime runs it: the post and trending actors and the read model. */
import { postMachine } from '../../../actors/social/postMachine.js';
import { trendingMachine } from '../../../actors/social/trendingMachine.js';
import { socialTopics as t } from '../../../config/social.js';
import type { AppDefinition } from '../../host/AppDefinition.js';
import type { SocialReadModel } from './SocialReadModel.js';

export function socialApp(readModel?: SocialReadModel): AppDefinition {
  return {
    name: 'social',
    topics: Object.values(t),
    entities: [
      {
        name: 'post',
        machine: postMachine,
        inputs: [
          // `posts` is keyed by author; the post actor by post: read through a repartition topic.
          { topic: t.posts, rekey: { keyName: 'post_id', key: (e) => (e as unknown as { postId: string }).postId } },
          { topic: t.likes },
          { topic: t.comments },
        ],
        outputs: { 'post.counts_changed': t.postsWithCounts },
      },
      {
        name: 'trending',
        machine: trendingMachine,
        // One global ranking: every count change goes to the single key `all`.
        inputs: [{ topic: t.postsWithCounts, rekey: { keyName: 'window', key: () => 'all', partitions: 1 } }],
        outputs: { 'trending.changed': t.trendingPosts },
      },
    ],
    projections: readModel ? [readModel.projection] : [],
  };
}
