/** MyBank in the console: the latest alerts, per user, with the threshold in effect for each user. */
import { z } from 'zod';
import type { AlertView, BankReadModel } from '../../apps/bank/BankReadModel.js';
import { consoleView } from './ConsoleView.js';

export const bankView = consoleView<BankReadModel>()({
  app: 'bank',
  title: 'MyBank',
  reads: ['latestAlerts', 'threshold'],
  query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
  read: (readModel, query) => {
    // Users in the order of their latest alert; each user's alerts newest first.
    const byUser = new Map<string, AlertView[]>();
    for (const alert of readModel.latestAlerts(query.limit)) {
      const alerts = byUser.get(alert.userId) ?? [];
      alerts.push(alert);
      byUser.set(alert.userId, alerts);
    }
    return {
      users: [...byUser].map(([userId, alerts]) => ({ userId, threshold: readModel.threshold(userId) ?? null, alerts })),
    };
  },
});
