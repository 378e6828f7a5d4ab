/** Ops in the console: per service, per minute, each metric's count, min, max, p50 and p99 over the last hour. */
import { z } from 'zod';
import type { OpsReadModel } from '../../apps/ops/OpsReadModel.js';
import { consoleView } from './ConsoleView.js';

const MINUTE = 60_000;

export const opsView = consoleView<OpsReadModel>()({
  app: 'ops',
  title: 'Ops',
  reads: ['services', 'serviceMinutes'],
  query: z.object({ minutes: z.coerce.number().int().min(1).max(24 * 60).default(60) }),
  read: (readModel, query, clock) => {
    const since = Math.floor(clock.now() / MINUTE) * MINUTE - (query.minutes - 1) * MINUTE;
    return {
      since: new Date(since).toISOString(),
      services: readModel.services().map((service) => ({ service, minutes: readModel.serviceMinutes(service, since) })),
    };
  },
});
