import { expect } from 'chai';
import { SimulatedClock, and, assign, createActor, setup } from 'xstate';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { CoverageRecorder, aggregateCoverage, transitionsOf, type MachineCoverage } from '../../src/sim/coverage.js';

type DoorEvent = { type: 'door.open'; force?: boolean } | { type: 'door.close' } | { type: 'door.knock' };

/** A small statechart with a guard, a targetless transition, a nested state, `after` and `always`. */
const door = setup({
  types: { context: {} as { knocks: number }, events: {} as DoorEvent },
  guards: {
    forced: ({ event }) => event.type === 'door.open' && event.force === true,
    tired: ({ context }) => context.knocks >= 2,
  },
}).createMachine({
  id: 'door',
  context: { knocks: 0 },
  initial: 'closed',
  states: {
    closed: {
      on: {
        'door.open': [{ guard: 'forced', target: 'broken' }, { target: 'open' }],
        'door.knock': { actions: assign({ knocks: ({ context }) => context.knocks + 1 }) },
      },
      always: { guard: and(['tired', 'tired']), target: 'open' },
    },
    open: {
      initial: 'swinging',
      states: {
        swinging: { after: { 500: 'still' } },
        still: {},
      },
      on: { 'door.close': 'closed' },
    },
    broken: { type: 'final' },
  },
});

const ids = [
  'closed --always--> open [and(tired, tired)]',
  'closed --door.knock--> (stay)',
  'closed --door.open--> broken [forced]',
  'closed --door.open--> open',
  'open --door.close--> closed',
  'open.swinging --after 500--> open.still',
];

describe('statechart coverage', () => {
  it('enumerates every transition of a machine from its definition', () => {
    expect([...transitionsOf(door).values()].sort()).to.deep.equal(ids);
  });

  it('records the transitions an actor takes, through XState inspection', () => {
    const recorder = new CoverageRecorder(new Map([['spec.door', door]]));
    const clock = new SimulatedClock();
    const actor = createActor(door, { clock, inspect: (e) => recorder.inspect('spec.door', e) }).start();
    actor.send({ type: 'door.open' });
    clock.increment(500);
    actor.send({ type: 'door.close' });
    actor.send({ type: 'door.open' });
    actor.send({ type: 'door.close' });
    actor.send({ type: 'door.knock' });
    actor.stop();

    const [coverage] = recorder.report({ 'spec.door': { 'closed --door.open--> broken [forced]': 'nobody forces the door in this spec' } });
    expect(coverage).to.deep.equal({
      machine: 'spec.door',
      total: 6,
      taken: {
        'closed --door.knock--> (stay)': 1,
        'closed --door.open--> open': 2,
        'open --door.close--> closed': 2,
        'open.swinging --after 500--> open.still': 1,
      },
      neverTaken: ['closed --always--> open [and(tired, tired)]'],
      unreached: { 'closed --door.open--> broken [forced]': 'nobody forces the door in this spec' },
      staleDeclarations: [],
    } satisfies MachineCoverage);
  });

  it('takes eventless transitions, and flags a declaration that is taken or names no transition', () => {
    const recorder = new CoverageRecorder(new Map([['spec.door', door]]));
    const actor = createActor(door, { inspect: (e) => recorder.inspect('spec.door', e) }).start();
    actor.send({ type: 'door.knock' });
    actor.send({ type: 'door.knock' });
    expect(actor.getSnapshot().value).to.deep.equal({ open: 'swinging' });
    actor.stop();
    const [coverage] = recorder.report({
      'spec.door': { 'closed --always--> open [and(tired, tired)]': 'wrong', 'closed --door.slam--> broken': 'no such event' },
    });
    expect(coverage.taken).to.deep.equal({ 'closed --always--> open [and(tired, tired)]': 1, 'closed --door.knock--> (stay)': 2 });
    expect(coverage.staleDeclarations).to.deep.equal(['closed --always--> open [and(tired, tired)]', 'closed --door.slam--> broken']);
    expect(coverage.unreached).to.deep.equal({});
  });

  it('aggregates runs: taken in any run is taken, counts add up', () => {
    const run = (events: DoorEvent[]): { coverage: MachineCoverage[] } => {
      const recorder = new CoverageRecorder(new Map([['spec.door', door]]));
      const actor = createActor(door, { inspect: (e) => recorder.inspect('spec.door', e) }).start();
      for (const e of events) actor.send(e);
      actor.stop();
      return { coverage: recorder.report({ 'spec.door': { 'closed --door.open--> broken [forced]': 'by design' } }) };
    };
    const a = run([{ type: 'door.open' }, { type: 'door.close' }]);
    const b = run([{ type: 'door.knock' }, { type: 'door.open' }]);
    const [sum] = aggregateCoverage([a, b]);
    expect(sum.taken).to.deep.equal({ 'closed --door.knock--> (stay)': 1, 'closed --door.open--> open': 2, 'open --door.close--> closed': 1 });
    expect(sum.neverTaken).to.deep.equal(['closed --always--> open [and(tired, tired)]', 'open.swinging --after 500--> open.still']);
    expect(sum.unreached).to.deep.equal({ 'closed --door.open--> broken [forced]': 'by design' });
    expect(sum.total).to.equal(6);
    // A run that took a declared transition makes the declaration stale in the sum too.
    const c = run([{ type: 'door.open', force: true }]);
    expect(aggregateCoverage([a, c])[0].staleDeclarations).to.deep.equal(['closed --door.open--> broken [forced]']);
  });

  it('is reported per machine by a simulation, through the runtime, the same for the same seed', async function () {
    this.timeout(60_000);
    const sizes = { users: 50, rate: 10 };
    const run = () => runSimulation({ apps: ['social'], seed: 3, durationMs: 10_000, faults: [], sizes });
    const report = await run();
    expect(report.coverage.map((m) => m.machine)).to.deep.equal([...report.coverage.map((m) => m.machine)].sort());
    expect(report.coverage.length).to.be.greaterThan(0);
    for (const m of report.coverage) {
      const taken = Object.values(m.taken);
      expect(taken.length, m.machine).to.be.greaterThan(0);
      expect(taken.length + m.neverTaken.length + Object.keys(m.unreached).length).to.equal(m.total);
    }
    const again = await run();
    expect(again.coverage).to.deep.equal(report.coverage);
    expect(again.digest).to.equal(report.digest);
  });

  it('declares as unreached only transitions the machines have and a run does not take', async function () {
    this.timeout(120_000);
    const report = await runSimulation({ apps: ['all'], seed: 5, durationMs: 20_000, faults: [], sizes: { users: 100, rate: 15 } });
    const declared = report.coverage.flatMap((m) => Object.keys(m.unreached));
    expect(declared.length).to.be.greaterThan(0);
    expect(report.coverage.flatMap((m) => m.staleDeclarations.map((id) => `${m.machine}: ${id}`))).to.deep.equal([]);
  });
});
