import { expect } from 'chai';
import { keyPartition } from '../../../adapters/memory/MemoryTopic.js';
import { partitionForKey } from '../../../src/broker/murmur2.js';

describe('memory broker: keyPartition', () => {
  it('agrees with partitionForKey, the port’s partitioner, on every kind of key', () => {
    const keys = [
      '',
      'a',
      'user_1',
      'ünïcødé',
      '🚕 taxi',
      'lone \ud800 surrogate',
      'x'.repeat(5000),
      'é'.repeat(700),
      ...Array.from({ length: 2000 }, (_, i) => `post_${i * 7919}`),
    ];
    for (const partitions of [1, 3, 30, 97]) {
      for (const key of keys)
        expect(keyPartition(key, partitions), key.slice(0, 20)).to.equal(partitionForKey(key, partitions));
    }
  });
});
