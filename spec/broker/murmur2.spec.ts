/**
 * Pins kastor's partitioner to Kafka's. The hashes of the first group are Kafka's own
 * `UtilsTest#testMurmur2`; every value here was checked against the real Java class:
 *
 *   bash scripts/kafka.sh install   # puts kafka-clients-*.jar into .kafka/libs
 *   jshell --class-path '.kafka/libs/*'
 *   > org.apache.kafka.common.utils.Utils.murmur2("user_1".getBytes(java.nio.charset.StandardCharsets.UTF_8))
 *   > org.apache.kafka.common.utils.Utils.toPositive(...) % 30
 *
 * (kafka-clients 4.1.2, OpenJDK 17.)
 */
import { expect } from 'chai';
import { murmur2, partitionForKey } from '../../src/broker/murmur2.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('murmur2', () => {
  const kafkaUtilsTest: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ];
  for (const [key, hash] of kafkaUtilsTest) {
    it(`hashes ${JSON.stringify(key)} to ${hash}, as Kafka's UtilsTest`, () => {
      expect(murmur2(utf8(key))).to.equal(hash);
    });
  }

  it("hashes the bytes 'a', 'b', 'c' to 479470107", () => {
    expect(murmur2(new Uint8Array([0x61, 0x62, 0x63]))).to.equal(479470107);
  });

  it('hashes keys of every length modulo 4, multi-byte UTF-8 included, as the Java client', () => {
    const java: [string, number][] = [
      ['', 275646681],
      ['k', -1567496736],
      ['user_1', 2109805095],
      ['user_123', -1159050033],
      ['post_456', -715636348],
      ['taxi_42', 1804576738],
      ['account_7', -1412773816],
      ['ünïcødé', 2147241326],
      ['🚕 taxi', -999588206],
    ];
    for (const [key, hash] of java) expect(murmur2(utf8(key)), key).to.equal(hash);
  });
});

describe('partitionForKey', () => {
  it('picks the partition the Java client picks for 30 partitions', () => {
    const java: [string, number][] = [
      ['21', 0],
      ['foobar', 6],
      ['a-little-bit-long-string', 2],
      ['a-little-bit-longer-string', 29],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', 17],
      ['user_1', 15],
      ['user_123', 5],
      ['user_234', 17],
      ['post_456', 10],
      ['taxi_42', 28],
      ['account_7', 22],
      ['ünïcødé', 26],
      ['🚕 taxi', 12],
      ['', 21],
    ];
    for (const [key, partition] of java) expect(partitionForKey(key, 30), key).to.equal(partition);
  });

  it('picks the partition the Java client picks for 3 partitions', () => {
    const java: [string, number][] = [
      ['user_1', 0],
      ['user_123', 2],
      ['post_456', 1],
      ['taxi_42', 1],
      ['ünïcødé', 2],
    ];
    for (const [key, partition] of java) expect(partitionForKey(key, 3), key).to.equal(partition);
  });

  it('makes a negative hash positive by masking the sign bit, not by Math.abs', () => {
    // -973932308 & 0x7fffffff = 1173551340, while Math.abs gives 973932308: they differ mod 7.
    expect(partitionForKey('21', 7)).to.equal(1173551340 % 7);
    expect(1173551340 % 7).to.not.equal(973932308 % 7);
  });
});
