import { expect } from 'chai';
import { assign, emit, fromCallback, setup, spawnChild, type AnyStateMachine } from 'xstate';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import type { BrokerRecord } from '../../src/broker/Record.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { ActorHost } from '../../src/host/ActorHost.js';
import { steppable } from '../../src/host/MachineStepper.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { counterMachine, counterTopics } from '../support/counterApp.js';

const at = '2026-01-01T12:00:00.000Z';
const topic = counterTopics.input.name;

function records(events: ReadonlyArray<{ key: string; n: number }>, from = 0): BrokerRecord[] {
  return events.map(({ key, n }, i) => ({
    topic, partition: 0, offset: from + i, key, timestamp: 0, headers: {},
    value: JSON.stringify({ id: `e${from + i}`, type: 'counter.added', key, at, n }),
  }));
}

/** A host on its own store; `run` is steps 1–3 of the commit protocol for one batch. */
function hostOf(machine: AnyStateMachine, liveActors: boolean, maxLiveActors = 100) {
  const store = new SqliteStateStore(':memory:');
  const host = new ActorHost({
    name: 'spec.counter', machine, inputs: new Map([[topic, counterTopics.input.schema!]]),
    outputs: { 'counter.total': counterTopics.totals }, store: store.stage('spec.counter'),
    clock: new VirtualClock(Date.parse(at)), ids: seededIdSource(3), maxLiveActors, liveActors,
  });
  const outputs: string[] = [];
  const run = (batch: readonly BrokerRecord[]) => {
    const work = host.process(batch, { skip: new Set(), deadLetter: (_r, reason) => { throw new Error(reason); } });
    store.stage('spec.counter').commit({ snapshots: work.snapshots ?? [], outbox: work.outbox ?? [], offsets: [] });
    work.committed?.();
    for (const r of work.outbox ?? []) outputs.push(r.value!);
  };
  const stored = (key: string) => store.stage('spec.counter').loadSnapshot(key);
  return { host, run, outputs, stored };
}

const spawner = setup({
  // A child that answers at once: only a started child (an actor's) gets to.
  actors: { helper: fromCallback(({ sendBack }) => sendBack({ type: 'counter.added', n: 1000 })) },
  types: { context: {} as { total: number }, events: {} as { type: 'counter.added'; n: number; key: string; at: string; id: string }, input: {} as { key: string } },
  actions: {
    add: assign(({ context, event }) => ({ total: context.total + event.n })),
    report: emit(({ context }) => ({ type: 'counter.total', total: context.total }) as never),
  },
}).createMachine({
  context: { total: 0 },
  on: {
    'counter.added': [
      { guard: ({ event }) => event.n === 99, actions: [spawnChild('helper', { id: 'helper' }), 'add', 'report'] },
      { actions: ['add', 'report'] },
    ],
  },
});

describe('stepping machines without actors (MachineStepper)', () => {
  it('takes machines with no invoke and no delayed transition, not the others', () => {
    expect(steppable(counterMachine)).to.equal(true);
    const delayed = setup({}).createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } });
    const invoking = setup({ actors: { job: fromCallback(() => undefined) } }).createMachine({ invoke: { src: 'job' } });
    expect(steppable(delayed)).to.equal(false);
    expect(steppable(invoking)).to.equal(false);
  });

  it('gives the outputs and stored snapshots an actor gives, across passivation and rehydration', () => {
    const events = [
      { key: 'a', n: 1 }, { key: 'b', n: 2 }, { key: 'a', n: 3 }, { key: 'c', n: 4 }, { key: 'b', n: 5 }, { key: 'a', n: 6 },
    ];
    const stepped = hostOf(counterMachine, false, 1);
    const actors = hostOf(counterMachine, true, 1);
    for (const h of [stepped, actors]) {
      h.run(records(events.slice(0, 3)));
      h.run(records(events.slice(3), 3)); // a and b come back from the store
    }
    expect(stepped.outputs).to.have.length(6);
    expect(stepped.outputs).to.deep.equal(actors.outputs);
    for (const key of ['a', 'b', 'c']) expect(stepped.stored(key)).to.deep.equal(actors.stored(key));
    expect((stepped.host.snapshotOf('a') as { context: { total: number } }).context.total).to.equal(10);
    expect(stepped.host.liveActors).to.equal(1);
  });

  it('runs the event on an actor, once, when a transition turns out to need one', () => {
    const h = hostOf(spawner, false);
    h.run(records([{ key: 'a', n: 1 }, { key: 'a', n: 99 }, { key: 'a', n: 2 }]));
    expect((h.host.snapshotOf('a') as { context: { total: number } }).context.total).to.equal(1102);
    expect(Object.keys((h.host.snapshotOf('a') as { children: object }).children)).to.deep.equal(['helper']);
    expect(h.outputs.map((v) => JSON.parse(v).total)).to.deep.equal([1, 100, 1100, 1102]);
  });
});
