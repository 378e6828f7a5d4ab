/**
 * MyBank's edge services (SPEC §3). The threshold service validates and produces what the user did
 * to `user_settings` ("user_123 set a threshold of 100000 cents at 12:00"), never their settings as
 * state; the notification service reads the read model and streams alerts as server-sent events.
 * Invalid input is a 400 with the reason, and then nothing is produced.
 *
 * Who may call (docs/security.md): a user sets, clears and reads its own threshold and alerts, and
 * opens its own alert stream, with its token in the header or, for a browser's EventSource that
 * cannot set one, with a ticket: `POST …/alerts/stream/ticket` (with the token) answers a
 * single-use ticket good for 30 s, and `GET …/alerts/stream?ticket=` spends it.
 */
import { z } from 'zod';
import { currency, thresholdCents, userId as userIdSchema } from '../../../actors/bank/events.js';
import { type BankTopics, bankTopics } from '../../../config/bank.js';
import type { Producer } from '../../broker/Broker.js';
import type { Clock } from '../../clock/Clock.js';
import { isoAt } from '../../clock/Clock.js';
import type { IdSource } from '../../ids/IdSource.js';
import { badRequest, notFound } from '../../http/HttpError.js';
import type { HttpApp } from '../../http/createHttpApp.js';
import { limitQuery } from '../../http/zodValidation.js';
import type { TopicDeclaration } from '../../topics/TopicDeclaration.js';
import type { AccessRule } from '../../http/auth/index.js';
import { streamAlerts } from './alertStream.js';
import type { BankReadModel } from './BankReadModel.js';

export interface BankServices {
  readonly producer: Producer;
  readonly readModel: BankReadModel;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly topics?: BankTopics;
  /** Between heartbeat comments on an alert stream (default 15 s). */
  readonly heartbeatMs?: number;
}

const newThreshold = z.object({ amountCents: thresholdCents, currency: currency.optional() });
const ofUser = { params: z.object({ userId: userIdSchema }) };
const alertsQuery = limitQuery(20, 100);
const streamQuery = z.object({ ticket: z.string().max(256).optional() });

const asPathUser = { auth: { roles: ['user'], subject: { param: 'userId' } } } satisfies { auth: AccessRule };
const streamReader = { auth: { roles: ['user'], subject: { param: 'userId' }, ticket: true } } satisfies { auth: AccessRule };

export function bankRoutes(app: HttpApp, services: BankServices): HttpApp {
  const { producer, readModel, clock, ids } = services;
  const t = services.topics ?? bankTopics;

  const publish = async (topic: TopicDeclaration, key: string, event: Record<string, unknown>) => {
    const envelope = { id: ids.next(), key, at: isoAt(clock), ...event };
    topic.schema.parse(envelope);
    await producer.send([{ topic: topic.name, key, value: JSON.stringify(envelope) }]);
    return envelope;
  };
  app.post('/bank/users/:userId/threshold', { schema: { ...ofUser, body: newThreshold }, config: asPathUser }, async (req, reply) => {
    const { userId } = req.params;
    const { amountCents } = req.body;
    const currency = req.body.currency ?? 'USD';
    const e = await publish(t.userSettings, userId, { type: 'bank.threshold_set', userId, amountCents, currency });
    return reply.code(202).send({ userId, amountCents, currency, at: e.at });
  });
  app.delete('/bank/users/:userId/threshold', { schema: ofUser, config: asPathUser }, async (req, reply) => {
    const { userId } = req.params;
    const e = await publish(t.userSettings, userId, { type: 'bank.threshold_cleared', userId });
    return reply.code(202).send({ userId, at: e.at });
  });
  app.get('/bank/users/:userId/threshold', { schema: ofUser, config: asPathUser }, async (req) => {
    const { userId } = req.params;
    const threshold = readModel.threshold(userId);
    if (!threshold) throw notFound(`user ${userId} never set a threshold`);
    return threshold;
  });
  app.get('/bank/users/:userId/alerts', { schema: { ...ofUser, querystring: alertsQuery }, config: asPathUser }, async (req) => (
    { items: readModel.alerts(req.params.userId, req.query.limit) }
  ));
  // Rate-limited as a write: tickets held in memory are what a flood of them would cost.
  app.post('/bank/users/:userId/alerts/stream/ticket', { schema: ofUser, config: asPathUser }, async (req, reply) => (
    reply.code(201).send(app.auth.tickets.issue(req.principal!, `/bank/users/${req.params.userId}/alerts/stream`))
  ));
  app.get('/bank/users/:userId/alerts/stream', { schema: { ...ofUser, querystring: streamQuery }, config: streamReader }, (req, reply) => {
    const { userId } = req.params;
    const header = req.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    if (lastEventId !== undefined && !/^[A-Za-z0-9_:/-]{1,64}$/.test(lastEventId)) throw badRequest('Last-Event-ID is not an alert id');
    reply.hijack();
    streamAlerts(reply.raw, userId, { readModel, clock, heartbeatMs: services.heartbeatMs ?? 15_000, lastEventId });
  });
  return app;
}
