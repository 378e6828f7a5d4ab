/**
 * MySocialMedia's edge services (SPEC §3): the posting service and the likes-and-comments
 * service validate and produce events; the refresh-feed and trending-feed services read the read
 * model. Invalid input is a 400 with the reason, and then nothing is produced.
 *
 * Who may call (docs/security.md): a user posts, likes, unlikes and comments as itself only (the
 * body's `userId` is the token's subject, or left out); only the author deletes a post, the author
 * being the token's subject, never a name in the body; any user reads posts, the feed and trending.
 */
import { z } from 'zod';
import { MAX_COMMENT_TEXT, MAX_POST_TEXT, entityId } from '../../../actors/social/events.js';
import { socialTopics as t } from '../../../config/social.js';
import type { Producer } from '../../broker/Broker.js';
import type { Clock } from '../../clock/Clock.js';
import { isoAt } from '../../clock/Clock.js';
import type { IdSource } from '../../ids/IdSource.js';
import { notFound } from '../../http/HttpError.js';
import type { HttpApp } from '../../http/createHttpApp.js';
import { limitQuery } from '../../http/zodValidation.js';
import type { TopicDeclaration } from '../../topics/TopicDeclaration.js';
import { type AccessRule, requireSubject } from '../../http/auth/index.js';
import type { PostView, SocialReadModel } from './SocialReadModel.js';

export interface SocialServices {
  readonly producer: Producer;
  readonly readModel: SocialReadModel;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** How long a like or comment waits for a just-created post to reach the read model. */
  readonly visibilityWaitMs?: number;
}

const url = z.string().max(2_048).url();
const newPost = z.object({
  userId: entityId,
  text: z.string().min(1).max(MAX_POST_TEXT),
  links: z.array(url).max(20).optional(),
  media: z.array(url).max(20).optional(),
  hashtags: z.array(z.string().regex(/^[\p{L}\p{N}_]{1,64}$/u, 'must be letters, digits or _')).max(30).optional(),
});
const byUser = z.object({ userId: entityId });
const newComment = z.object({ userId: entityId, text: z.string().min(1).max(MAX_COMMENT_TEXT) });
const onPost = { params: z.object({ postId: entityId }) };
const onPostAndUser = { params: z.object({ postId: entityId, userId: entityId }) };
const feedQuery = limitQuery(20, 100);
const trendingQuery = limitQuery(10, 20);

const asBodyUser = { auth: { roles: ['user'], subject: { body: 'userId' } } } satisfies { auth: AccessRule };
const asPathUser = { auth: { roles: ['user'], subject: { param: 'userId' } } } satisfies { auth: AccessRule };
const anyUser = { auth: { roles: ['user'], subject: 'any' } } satisfies { auth: AccessRule };
/** The author is whoever the token says; a body naming someone else is refused. */
const asAuthor = { auth: { roles: ['user'], subject: { body: 'userId' } } } satisfies { auth: AccessRule };

export function socialRoutes(app: HttpApp, services: SocialServices): HttpApp {
  const { producer, readModel, clock, ids } = services;

  const publish = async (topic: TopicDeclaration, key: string, event: Record<string, unknown>) => {
    const envelope = { id: ids.next(), key, at: isoAt(clock), ...event };
    topic.schema.parse(envelope);
    await producer.send([{ topic: topic.name, key, value: JSON.stringify(envelope) }]);
  };

  /** The post, waiting a little for one created a moment ago (the read model trails the log). */
  const existingPost = async (postId: string): Promise<PostView> => {
    const deadline = clock.now() + (services.visibilityWaitMs ?? 1_000);
    for (;;) {
      const post = readModel.post(postId);
      if (post && !post.deleted) return post;
      if (post?.deleted) throw notFound(`post ${postId} was deleted`);
      if (clock.now() >= deadline) throw notFound(`post ${postId} does not exist`);
      await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 20));
    }
  };

  app.post('/social/posts', { schema: { body: newPost }, config: asBodyUser }, async (req, reply) => {
    const body = req.body;
    const postId = `post_${ids.next()}`;
    await publish(t.posts, body.userId, {
      type: 'post.created', postId, userId: body.userId, text: body.text,
      links: body.links ?? [], media: body.media ?? [], hashtags: body.hashtags ?? [],
    });
    return reply.code(202).send({ postId });
  });
  app.delete('/social/posts/:postId', { schema: onPost, config: asAuthor }, async (req, reply) => {
    const { postId } = req.params;
    const userId = req.principal!.sub;
    const post = await existingPost(postId);
    requireSubject(req, [post.userId], `only the author of ${postId} may delete it`);
    await publish(t.posts, userId, { type: 'post.deleted', postId, userId });
    return reply.code(202).send({ postId });
  });
  app.post('/social/posts/:postId/likes', { schema: { ...onPost, body: byUser }, config: asBodyUser }, async (req, reply) => {
    const { postId } = req.params;
    const { userId } = req.body;
    await existingPost(postId);
    await publish(t.likes, postId, { type: 'post.liked', postId, userId });
    return reply.code(202).send({ postId, userId });
  });
  app.delete('/social/posts/:postId/likes/:userId', { schema: onPostAndUser, config: asPathUser }, async (req, reply) => {
    const { postId, userId } = req.params;
    await existingPost(postId);
    await publish(t.likes, postId, { type: 'post.unliked', postId, userId });
    return reply.code(202).send({ postId, userId });
  });
  app.post('/social/posts/:postId/comments', { schema: { ...onPost, body: newComment }, config: asBodyUser }, async (req, reply) => {
    const { postId } = req.params;
    const body = req.body;
    await existingPost(postId);
    const commentId = `comment_${ids.next()}`;
    await publish(t.comments, postId, { type: 'post.commented', postId, commentId, userId: body.userId, text: body.text });
    return reply.code(202).send({ postId, commentId });
  });
  app.get('/social/posts/:postId', { schema: onPost, config: anyUser }, async (req) => {
    const { postId } = req.params;
    const post = readModel.post(postId);
    if (!post) throw notFound(`post ${postId} does not exist`);
    const { userId, text, likes, comments, deleted } = post;
    return { postId, userId, text, likes, comments, deleted };
  });
  app.get('/social/feed', { schema: { querystring: feedQuery }, config: anyUser }, async (req) => ({ items: readModel.feed(req.query.limit) }));
  app.get('/social/trending', { schema: { querystring: trendingQuery }, config: anyUser }, async (req) => readModel.trending(req.query.limit));
  return app;
}
