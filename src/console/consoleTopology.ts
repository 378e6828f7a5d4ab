/**
 * What the console needs to know of the topology beyond what the Runtime says: which application a
 * stage belongs to, and how many partitions a topic has (asked of the broker once per topic: a
 * running process does not change its topics' partition counts).
 */
import type { Admin } from '../broker/Broker.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import { HttpError } from '../http/HttpError.js';

/** The application a stage runs for: entity stages and repartitioners are named `<app>.…`. */
export function stageAppOf(apps: readonly AppDefinition[], stage: string): string {
  for (const app of apps) {
    if ((app.projections ?? []).some((p) => p.name === stage) || (app.stages ?? []).some((s) => s.name === stage)) return app.name;
  }
  const prefix = stage.split('.')[0];
  return apps.find((a) => a.name === prefix)?.name ?? prefix;
}

export class TopicPartitionCounts {
  private readonly counts = new Map<string, Promise<number>>();

  constructor(private readonly admin: Admin) {}

  /** The topic's partition count (0 for a topic that does not exist). */
  of(topic: string): Promise<number> {
    let count = this.counts.get(topic);
    if (!count) {
      count = this.admin.describeTopic(topic).then((d) => d?.partitions ?? 0);
      // A failed look-up is asked again next time.
      count.catch(() => this.counts.delete(topic));
      this.counts.set(topic, count);
    }
    return count;
  }
}

/** The application named, or 404 naming the ones there are. */
export function appNamed(apps: readonly AppDefinition[], name: string): AppDefinition {
  const app = apps.find((a) => a.name === name);
  if (!app) throw new HttpError(404, `no application ${name} in this process (it runs ${apps.map((a) => a.name).join(', ')})`);
  return app;
}
