import { expect } from 'chai';
import type { BrokerRecord, TopicPartition } from '../../src/broker/Record.js';
import { type LogReader, readTopic } from '../../src/sim/Simulation.js';

/** A log of `sizes[p]` records in partition p; reading a partition past the last one throws, as the memory broker does. */
function logOf(sizes: readonly number[]): LogReader {
  return {
    read: (tp: TopicPartition) => {
      if (tp.partition >= sizes.length) throw new Error(`no partition ${tp.partition}`);
      return Array.from({ length: sizes[tp.partition] }, (_, offset): BrokerRecord =>
        ({ topic: tp.topic, partition: tp.partition, offset, key: null, value: `${tp.partition}/${offset}`, timestamp: 0, headers: {} }));
    },
  };
}

describe('readTopic', () => {
  it('gives every record, partition by partition in offset order', () => {
    const all = readTopic(logOf([2, 0, 3]), 't');
    expect(all.map((r) => r.value)).to.deep.equal(['0/0', '0/1', '2/0', '2/1', '2/2']);
  });

  // An hour of `simulate all` puts more records in a partition than a spread call takes arguments.
  it('reads partitions larger than a call has arguments', () => {
    const all = readTopic(logOf([300_000, 200_000]), 't');
    expect(all).to.have.length(500_000);
    expect(all[299_999].value).to.equal('0/299999');
    expect(all[300_000].value).to.equal('1/0');
  });
});
