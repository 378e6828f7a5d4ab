/**
 * MyBank's edge services (SPEC §3). The threshold service validates and produces what the user did
 * to `user_settings` ("user_123 set a threshold of 100000 cents at 12:00"), never their settings as
 * state; the notification service reads the read model and streams alerts as server-sent events.
 * Invalid input is a 400 with the reason, and then nothing is produced.
 */
import { z } from 'zod';
import { currency, thresholdCents, userId as userIdSchema } from '../../../actors/bank/events.js';
import { type BankTopics, bankTopics } from '../../../config/bank.js';
import type { Producer } from '../../broker/Broker.js';
import type { Clock } from '../../clock/Clock.js';
import { isoAt } from '../../clock/Clock.js';
import type { IdSource } from '../../ids/IdSource.js';
import { badRequest, notFound } from '../../http/HttpError.js';
import type { Router } from '../../http/Router.js';
import { limitParam, validate } from '../../http/validate.js';
import type { TopicDeclaration } from '../../topics/TopicDeclaration.js';
import { alertStream } from './alertStream.js';
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

export function bankRoutes(router: Router, services: BankServices): Router {
  const { producer, readModel, clock, ids } = services;
  const t = services.topics ?? bankTopics;

  const publish = async (topic: TopicDeclaration, key: string, event: Record<string, unknown>) => {
    const envelope = { id: ids.next(), key, at: isoAt(clock), ...event };
    topic.schema.parse(envelope);
    await producer.send([{ topic: topic.name, key, value: JSON.stringify(envelope) }]);
    return envelope;
  };
  const userParam = (params: Readonly<Record<string, string>>) => validate(userIdSchema, params.userId, 'userId');

  return router
    .post('/bank/users/:userId/threshold', async (req) => {
      const userId = userParam(req.params);
      const body = validate(newThreshold, req.body);
      const e = await publish(t.userSettings, userId, {
        type: 'bank.threshold_set', userId, amountCents: body.amountCents, currency: body.currency ?? 'USD',
      });
      return { status: 202, body: { userId, amountCents: body.amountCents, currency: body.currency ?? 'USD', at: e.at } };
    })
    .delete('/bank/users/:userId/threshold', async (req) => {
      const userId = userParam(req.params);
      const e = await publish(t.userSettings, userId, { type: 'bank.threshold_cleared', userId });
      return { status: 202, body: { userId, at: e.at } };
    })
    .get('/bank/users/:userId/threshold', (req) => {
      const userId = userParam(req.params);
      const threshold = readModel.threshold(userId);
      if (!threshold) throw notFound(`user ${userId} never set a threshold`);
      return { status: 200, body: threshold };
    })
    .get('/bank/users/:userId/alerts', (req) => {
      const userId = userParam(req.params);
      return { status: 200, body: { items: readModel.alerts(userId, limitParam(req.query, 20, 100)) } };
    })
    .get('/bank/users/:userId/alerts/stream', (req) => {
      const userId = userParam(req.params);
      const header = req.raw.headers['last-event-id'];
      const lastEventId = Array.isArray(header) ? header[0] : header;
      if (lastEventId !== undefined && !/^[A-Za-z0-9_:/-]{1,64}$/.test(lastEventId)) throw badRequest('Last-Event-ID is not an alert id');
      return alertStream(userId, { readModel, clock, heartbeatMs: services.heartbeatMs ?? 15_000, lastEventId });
    });
}
