/**
 * librdkafka's fatal errors (issue 16, item 4): the client cannot go on, so the adapter says so
 * (a BrokerError marked `fatal`, never retriable) instead of letting the runtime retry for ever, and
 * a runtime whose client meets one ends through `onFatal` (the CLI then exits 1).
 *
 * The classifier is fed node-rdkafka's own error objects. On the real broker the fatal error is a
 * real one: a static group member (`group.instance.id`) fenced by a newer member with the same id.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { firstValueFrom, take, toArray } from 'rxjs';
import Kafka from 'node-rdkafka';
import type { LibrdKafkaError } from 'node-rdkafka';
import { isFatal, isRetriable, toBrokerError } from '../../../adapters/kafka/kafkaErrors.js';
import { SqliteStateStore } from '../../../adapters/sqlite/SqliteStateStore.js';
import { BrokerError, BrokerUnavailable } from '../../../src/broker/errors.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { allTopics } from '../../../src/host/topology.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { counterApp } from '../../support/counterApp.js';
import { describeKafka } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { KafkaFixture, WAIT_MS, unique } from './fixture.js';

const CODES = Kafka.CODES.ERRORS;
/** node-rdkafka's LibrdKafkaError, built as its native layer builds the errors it hands to JS. */
const { create } = createRequire(import.meta.url)('node-rdkafka/lib/error.js') as { create(e: unknown): LibrdKafkaError };

describe('kafka adapter: librdkafka fatal errors are classified fatal', () => {
  it('marks code -150 (ERR__FATAL) fatal and not retriable, naming the action and the code', () => {
    // As an event.error of an idempotent producer that lost its sequence state.
    const fenced = create({ message: 'Fatal error: Broker: Producer attempted an operation with an old epoch', code: CODES.ERR__FATAL, isFatal: true, isRetriable: false });
    const error = toBrokerError(fenced, { action: 'idempotent producer failed' });
    expect(error).to.be.instanceOf(BrokerError);
    expect(error).to.include({ fatal: true, retriable: false });
    expect(error.message).to.match(/^idempotent producer failed: librdkafka fatal error.*old epoch.*code -150/);
    expect(error.cause).to.equal(fenced);
    // As a consume() callback's error, built from the bare code ("Local: Fatal error").
    expect(toBrokerError(create(CODES.ERR__FATAL), { action: 'consume' })).to.include({ fatal: true, retriable: false });
  });

  it('marks any error librdkafka calls fatal fatal, whatever its code, even one it also calls retriable', () => {
    const outOfSequence = create({ message: 'Broker: Broker received an out of order sequence number', code: CODES.ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, isFatal: true, isRetriable: true });
    expect(isFatal(outOfSequence)).to.equal(true);
    expect(isRetriable(outOfSequence)).to.equal(false);
    expect(toBrokerError(outOfSequence, { action: 'deliver a record to t', topic: 't' })).to.include({ fatal: true, retriable: false });
  });

  it('leaves the errors librdkafka retries by itself retriable, and not fatal', () => {
    const down = toBrokerError(create({ message: 'Local: All broker connections are down', code: CODES.ERR__ALL_BROKERS_DOWN, isFatal: false }), { action: 'produce' });
    expect(down).to.be.instanceOf(BrokerUnavailable);
    expect(down).to.include({ fatal: false, retriable: true });
    const timedOut = toBrokerError(create(CODES.ERR__MSG_TIMED_OUT), { action: 'produce' });
    expect(timedOut).to.include({ fatal: false, retriable: true });
    expect(isFatal(create(CODES.ERR_UNKNOWN_MEMBER_ID))).to.equal(false);
  });
});

describeKafka('kafka adapter: a fatal client error on the real broker', function () {
  this.timeout(120_000);
  const fx = new KafkaFixture();
  afterEach(() => fx.teardown());

  it('fails the fenced member\'s assignments and reports it on the broker\'s fatalErrors', async () => {
    const topic = await fx.topic('fenced', 2);
    const group = unique('fenced-group');
    const member = { 'group.instance.id': unique('member') };
    const old = fx.broker({ librdkafka: member });
    const fatal = firstValueFrom(old.fatalErrors);
    const oldConsumer = old.consumer({ groupId: group, topics: [topic] });
    let failure: unknown;
    const assigned: number[] = [];
    oldConsumer.assignments.subscribe({ next: (p) => assigned.push(p.partition), error: (e: unknown) => (failure = e) });
    await waitFor(() => assigned.length === 2, { timeoutMs: WAIT_MS, message: 'the first member to get both partitions' });

    // A newer member with the same static id takes its place; the broker fences the old one.
    const newer = fx.broker({ librdkafka: member }).consumer({ groupId: group, topics: [topic] });
    const taken = firstValueFrom(newer.assignments.pipe(take(2), toArray()));
    expect((await taken).map((p) => p.partition).sort()).to.deep.equal([0, 1]);

    const reported = await fatal;
    expect(reported).to.include({ fatal: true, retriable: false });
    expect(reported.message).to.contain(`group ${group}`).and.to.contain('code -150');
    await waitFor(() => failure !== undefined, { timeoutMs: WAIT_MS, message: 'the fenced member\'s assignments to fail' });
    expect(failure).to.equal(reported);
  });

  it('ends a runtime whose stage\'s consumer is fenced through onFatal, once, without restarting the stage', async () => {
    const dataset = `spec_fatal${randomBytes(4).toString('hex')}`;
    const app = counterApp(undefined, dataset);
    const member = { 'group.instance.id': unique('instance') };
    const broker = fx.broker({ librdkafka: member });
    const store = new SqliteStateStore(':memory:');
    const fatals: Error[] = [];
    const runtime = new Runtime([app], { broker, store, clock: new SystemClock(), ids: seededIdSource(1), onFatal: (e) => fatals.push(e) });
    try {
      await runtime.start();
      await waitFor(() => runtime.ready, { timeoutMs: WAIT_MS, message: 'the runtime to be ready' });

      // Another process started with the same instance id joins the stage's group.
      const intruder = fx.broker({ librdkafka: member }).consumer({ groupId: `kastor.${dataset}.counter`, topics: [`tracking.${dataset}.counter_input`] });
      intruder.assignments.subscribe({ error: () => undefined });

      await waitFor(() => fatals.length > 0, { timeoutMs: WAIT_MS, message: 'onFatal to be called' });
      expect(fatals).to.have.length(1);
      expect(fatals[0]).to.be.instanceOf(BrokerError).and.to.include({ fatal: true });
      expect(fatals[0].message).to.contain(`group kastor.${dataset}.counter`).and.to.contain('librdkafka fatal error');
      expect(runtime.stages.get(`${dataset}.counter`)).to.equal('given-up');
      expect(runtime.healthy).to.equal(false);
    } finally {
      await runtime.stop();
      store.close();
      await broker.admin.deleteTopics(allTopics(app).map((t) => t.name)).catch(() => undefined);
    }
  });
});
