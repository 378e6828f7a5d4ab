/**
 * Kafka's default partitioner for keyed records: murmur2 (seed 0x9747b28c) over the key's UTF-8
 * bytes, made positive with `& 0x7fffffff`, modulo the partition count. A port of
 * org.apache.kafka.common.utils.Utils#murmur2 so that a key lands on the same partition here as
 * with the Java client and librdkafka's `murmur2_random` partitioner.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base] & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();
/** Reused between calls: encoding into it instead of allocating keeps the hot path cheap. */
let scratch = new Uint8Array(256);

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: string, partitions: number): number {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (key.length * 3 > scratch.length) scratch = new Uint8Array(key.length * 3);
  const { written } = encoder.encodeInto(key, scratch);
  return (murmur2(scratch.subarray(0, written)) & 0x7fffffff) % partitions;
}
