/** MyBank in the console: the latest alerts, per user, with the threshold in effect for each user. */
import { z } from 'zod';
import type { AlertView, BankReadModel } from '../../apps/bank/BankReadModel.js';
import { join } from 'node:path';
import { SOURCE_FILE, seedDb } from '../../apps/bank/index.js';
import { type DemoStep, consoleView } from './ConsoleView.js';

export const bankView = consoleView<BankReadModel>()({
  app: 'bank',
  title: 'MyBank',
  reads: ['latestAlerts', 'threshold'],
  query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
  demo: () => bankDemo(),
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

/**
 * Five users set a $500 threshold through the route; then a transaction lands in the SQLite source
 * database every few steps (as `kastor bank seed-db` writes them: the bank has no route for them,
 * they come through CDC). With the PostgreSQL source, only the thresholds are set.
 */
function bankDemo(): DemoStep {
  const users = Array.from({ length: 5 }, (_, i) => `user_${String(i + 1).padStart(3, '0')}`);
  let set = 0;
  let step = 0;
  return async (ctx) => {
    if (set < users.length) {
      const userId = users[set];
      const res = await ctx.call('POST', `/bank/users/${userId}/threshold`, { amountCents: 50_000 }, { sub: userId, role: 'user' });
      if (res.status === 202) set += 1;
      return;
    }
    if (step++ % 3 !== 0 || (ctx.env.KASTOR_BANK_CDC ?? 'sqlite') !== 'sqlite') return;
    seedDb({ file: ctx.env.KASTOR_BANK_SQLITE_FILE ?? join(ctx.dataDir, SOURCE_FILE), now: ctx.now(), count: 1, users: users.length, seed: step });
  };
}
