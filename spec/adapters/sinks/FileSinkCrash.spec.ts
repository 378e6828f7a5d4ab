import { expect } from 'chai';
import type { FileSinkStep } from '../../../adapters/sinks/FileSink.js';
import { COMMIT_STEPS, type CommitStep, SimulatedCrash } from '../../../src/host/CommitStep.js';
import { waitFor } from '../../support/waitFor.js';
import { FileSinkFixture, SINK, type SinkProcess, type StartOptions, sinkRecord } from './FileSinkFixture.js';

const RECORDS = 90;
const FILE_STEPS: readonly FileSinkStep[] = ['appended', 'sealed', 'committed', 'renamed'];

/** Each produced record is in exactly one committed file, in offset order, and nothing is left in progress. */
async function expectExactlyOnce(f: FileSinkFixture): Promise<void> {
  const highs = await f.highs();
  expect(highs.reduce((a, b) => a + b, 0)).to.equal(RECORDS);
  const lines = await f.lines();
  for (const [partition, high] of highs.entries()) {
    const offsets = lines.filter((l) => l.partition === partition).map((l) => l.offset).sort((a, b) => a - b);
    expect(offsets, `offsets of partition ${partition}`).to.deep.equal(Array.from({ length: high }, (_, i) => i));
  }
  const ids = lines.map((l) => (typeof l.value === 'string' ? Number(l.value.split(' ').at(-1)) : (l.value as { n: number }).n));
  expect(ids.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: RECORDS }, (_, i) => i));
  expect(f.tempFiles(), 'files in progress').to.deep.equal([]);
}

/** Runs the workload into a sink that crashes at the hook's say, restarts it, drains, checks. */
async function crashAndRecover(crashing: (hit: () => boolean) => StartOptions, expectAfterCrash?: (p: SinkProcess, f: FileSinkFixture) => void) {
  const f = new FileSinkFixture();
  await f.produce(Array.from({ length: RECORDS }, (_, i) => sinkRecord(i)));
  let crashed = false;
  const first = await f.start(crashing(() => (crashed = true)));
  const runner = first.runtime.stageRunners.find((r) => r.stage.name === SINK)!;
  await Promise.race([runner.crashed, waitFor(() => crashed, { timeoutMs: 10_000, message: 'the crash' })]);
  await runner.crashed;
  expectAfterCrash?.(first, f);
  await f.kill(first);

  const second = await f.start();
  await f.drain(second);
  await expectExactlyOnce(f);
  expect(second.sink.manifest.unrenamed()).to.deep.equal([]);
  await f.cleanup(second);
}

describe('file sink across crashes', function () {
  this.timeout(30_000);

  it('holds each record exactly once without faults', async () => {
    const f = new FileSinkFixture();
    await f.produce(Array.from({ length: RECORDS }, (_, i) => sinkRecord(i)));
    const p = await f.start();
    await f.drain(p);
    await expectExactlyOnce(f);
    await f.cleanup(p);
  });

  for (const step of COMMIT_STEPS) {
    for (const occurrence of [1, 3]) {
      it(`loses and repeats nothing when the runner dies after '${step}' (occurrence ${occurrence})`, () =>
        crashAndRecover((hit) => {
          let hits = 0;
          return {
            faults: (s: CommitStep, stage: string) => {
              if (s === step && stage === SINK && ++hits === occurrence && hit()) throw new SimulatedCrash(s);
            },
          };
        }));
    }
  }

  for (const step of FILE_STEPS) {
    for (const occurrence of [1, 3]) {
      it(`loses and repeats nothing when the sink dies in its own step '${step}' (occurrence ${occurrence})`, () =>
        crashAndRecover(
          (hit) => {
            let hits = 0;
            return {
              fileFaults: (s) => {
                if (s === step && ++hits === occurrence && hit()) throw new SimulatedCrash('processed');
              },
            };
          },
          (p, f) => {
            // Between the store commit and the rename: the manifest knows a file readers cannot see yet.
            if (step === 'committed') expect(p.sink.manifest.unrenamed()).to.have.length.greaterThan(0);
            // Before the commit: records sit in temp files that the restart must discard, not publish.
            if (step === 'appended' || step === 'sealed') expect(f.tempFiles()).to.have.length.greaterThan(0);
          },
        ));
    }
  }

  it('rolls a committed but un-renamed file forward on start, with no re-read of its records', async () => {
    const f = new FileSinkFixture();
    await f.produce(Array.from({ length: RECORDS }, (_, i) => sinkRecord(i)));
    let hits = 0;
    const first = await f.start({ fileFaults: (s) => { if (s === 'committed' && ++hits === 2) throw new SimulatedCrash('stored'); } });
    const runner = first.runtime.stageRunners.find((r) => r.stage.name === SINK)!;
    await runner.crashed;
    const pending = first.sink.manifest.unrenamed();
    expect(pending).to.have.length.greaterThan(0);
    await f.kill(first);
    const second = await f.start();
    // The constructor finished the renames before any record was read again.
    const names = second.sink.manifest.files().filter((x) => pending.some((p) => p.path === x.path));
    expect(names.every((x) => x.renamed)).to.equal(true);
    await f.drain(second);
    await expectExactlyOnce(f);
    await f.cleanup(second);
  });
});
