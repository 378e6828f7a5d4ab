/**
 * A producer for the edge services a simulated application runs beside its stages: the CDC source
 * connector of MyBank, the log forwarder of ops. The simulation engine (src/sim/Simulation.ts)
 * gives an application no broker and no hook for background services, only its definition; so such
 * a service produces through this stage, which has no topics and only commits: the records go to
 * its outbox as work no input record caused (`LocalCommitter.commitLocal`, steps 3–4 of the commit
 * protocol) and the runtime produces them, headers included, through the same faulty producer as
 * every stage's outbox. A runner needs a topic to consume: the stage subscribes to one of its own,
 * `internal.<app>.<name>_idle` (one partition, declared with the app's topics), that nothing writes.
 *
 * `send` resolves once the records are committed to the outbox: from then on the runtime delivers
 * them at least once, across crashes (a restarted runner re-sends its outbox) — what a producer's
 * acknowledgement promises. A runner that was killed commits nothing; `send` then waits for the
 * restarted runtime to attach its runner and commits there, so a send is never lost in a restart.
 */
import type { Producer } from '../../broker/Broker.js';
import type { OutgoingRecord, RecordMetadata } from '../../broker/Record.js';
import { z } from 'zod';
import { zodEventSchema } from '../../events/EventSchema.js';
import type { BatchWork, LocalCommitter, Stage } from '../../host/Stage.js';
import type { OutboxRecord } from '../../store/StateStore.js';
import { DAY, type TopicDeclaration, declareTopic } from '../../topics/TopicDeclaration.js';

export class EdgeOutbox implements Stage {
  readonly name: string;
  /** To add to the app's topics, so that the runtime creates it. */
  readonly idleTopic: TopicDeclaration;
  readonly topics: readonly string[];
  readonly producer: Producer = {
    send: (records) => this.send(records),
    flush: async () => undefined,
    close: async () => undefined,
  };
  private committer?: LocalCommitter;
  private attached!: Promise<void>;
  private resolveAttached!: () => void;

  /** The stage is named `<app>.<name>` (e.g. `bank.cdc_outbox`), unique per state store. */
  constructor(app: string, name: string) {
    this.name = `${app}.${name}`;
    this.idleTopic = declareTopic('internal', app, `${name}_idle`, {
      partitions: 1, key: 'none', retentionMs: DAY, schema: zodEventSchema(z.unknown()),
      description: `never written: lets the ${this.name} stage join a consumer group`,
    });
    this.topics = [this.idleTopic.name];
    this.nextAttachment();
  }

  process(): BatchWork {
    return {};
  }

  attach(committer: LocalCommitter): void {
    this.committer = committer;
    this.resolveAttached();
    this.nextAttachment();
  }

  private async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    const outbox: OutboxRecord[] = records.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers ?? {} }));
    for (;;) {
      const committer = this.committer;
      const restarted = this.attached;
      if (committer) {
        let committed = false;
        try {
          await committer.commitLocal({ outbox, committed: () => { committed = true; } });
        } catch (e) {
          // The runner died producing what it had committed: its successor re-sends the outbox.
          if (!committed) throw e;
        }
        // Offsets are the broker's to assign once the outbox is produced; none is known here.
        if (committed) return records.map((r) => ({ topic: r.topic, partition: r.partition ?? -1, offset: -1 }));
      }
      await restarted;
    }
  }

  private nextAttachment(): void {
    this.attached = new Promise((resolve) => (this.resolveAttached = resolve));
  }
}
