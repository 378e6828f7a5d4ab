/**
 * In-process fan-out of committed alerts to the users' open streams: the read model publishes after
 * its batch committed, subscribers (server-sent-events streams) get the alerts of their user. A
 * listener that throws is unsubscribed, so that one broken stream cannot stall the projection.
 */
import type { AlertListener, AlertView } from './BankReadModel.js';

interface Subscription {
  readonly listener: AlertListener;
  close(): void;
}

export class AlertFeed {
  private readonly byUser = new Map<string, Set<Subscription>>();
  private count = 0;

  subscribe(userId: string, listener: AlertListener): () => void {
    let subs = this.byUser.get(userId);
    if (!subs) this.byUser.set(userId, (subs = new Set()));
    const own = subs;
    let open = true;
    const subscription: Subscription = {
      listener,
      close: () => {
        if (!open) return;
        open = false;
        own.delete(subscription);
        this.count--;
        if (own.size === 0 && this.byUser.get(userId) === own) this.byUser.delete(userId);
      },
    };
    own.add(subscription);
    this.count++;
    return subscription.close;
  }

  publish(alert: AlertView): void {
    for (const s of [...(this.byUser.get(alert.userId) ?? [])]) {
      try {
        s.listener(alert);
      } catch {
        s.close();
      }
    }
  }

  get subscribers(): number {
    return this.count;
  }
}
