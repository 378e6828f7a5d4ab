/**
 * A stage poisoned in a way the dead-letter path cannot help: it writes an audit row per record into
 * a table that does not exist, so every transaction of every batch fails, whatever the record. Used
 * by the supervision specs (in process and in a child process).
 */
import type { Stage } from '../../src/host/Stage.js';
import { counterTopics } from './counterApp.js';

export const auditTrailStage: Stage = {
  name: 'spec.audit',
  topics: [counterTopics.input.name],
  process: (records) => ({
    extra: (tx) => {
      for (const r of records) tx.run('INSERT INTO audit_trail (topic, partition, "offset") VALUES (?, ?, ?)', [r.topic, r.partition, r.offset]);
    },
  }),
};
