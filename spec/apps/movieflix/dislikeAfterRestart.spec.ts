/**
 * The disliked signal is a delayed transition (the viewer machine's `after: { dislikeAfter }`) on
 * the runtime's clock. It must fire, and what it emits must be committed, in a running runtime,
 * after the process is killed and started again, and after the actor was passivated — XState
 * alone re-arms nothing from a persisted snapshot; the runtime (src/host/ActorHost.ts) has to.
 */
import { expect } from 'chai';
import { waitFor } from '../../support/waitFor.js';
import { MovieflixFixture, type MovieflixProcess, T0 } from './movieflixFixture.js';

const MIN = 60_000;
const DISLIKE_AFTER = 6 * 3_600_000;

describe('MovieFlix: the disliked signal on the runtime clock', function () {
  this.timeout(30_000);
  let fx: MovieflixFixture;

  beforeEach(() => (fx = new MovieflixFixture({ settings: { dislikeAfterMs: DISLIKE_AFTER } })));
  afterEach(() => fx.cleanup());

  const status = (p: MovieflixProcess, userId: string, showId: string) =>
    p.readModel.profile(userId).find((s) => s.showId === showId)?.status;
  const recommended = (p: MovieflixProcess, userId: string) => (p.readModel.recommendations(userId)?.items ?? []).map((i) => i.showId);

  /** u1 watches three minutes of a horror show and stops, the clock moving along. */
  async function dropAfterThreeMinutes(p: MovieflixProcess): Promise<void> {
    for (let m = 0; m <= 3; m++) {
      await fx.report('u1', 'midnight-static', 's01e01', m * 60, 2700);
      if (m < 3) fx.clock.advance(MIN);
    }
    await fx.settle(p);
    expect(status(p, 'u1', 'midnight-static')).to.equal('watching');
    expect(recommended(p, 'u1')).to.include('whispering-pines');
  }

  async function expectDisliked(p: MovieflixProcess): Promise<void> {
    await waitFor(() => status(p, 'u1', 'midnight-static') === 'disliked', {
      timeoutMs: 5_000,
      message: () => `u1's midnight-static to be disliked in the profile read model (is ${status(p, 'u1', 'midnight-static')})`,
    });
    await waitFor(() => !recommended(p, 'u1').includes('whispering-pines'), {
      timeoutMs: 5_000,
      message: () => `horror to leave u1's recommendations (${recommended(p, 'u1').join(', ')})`,
    });
    const disliked = p.readModel.profile('u1').find((s) => s.showId === 'midnight-static')!;
    expect(disliked.lastActiveAt).to.equal(new Date(T0 + 3 * MIN).toISOString());
  }

  it('fires in a running runtime and commits what the transition emits', async () => {
    const p = await fx.start();
    await dropAfterThreeMinutes(p);
    fx.clock.advance(DISLIKE_AFTER - MIN);
    await fx.settle(p);
    expect(status(p, 'u1', 'midnight-static')).to.equal('watching');
    fx.clock.advance(MIN + 1);
    await expectDisliked(p);
  });

  it('fires after the process is killed and started again on the same SQLite file and broker', async () => {
    const first = await fx.start();
    await dropAfterThreeMinutes(first);
    await first.runtime.kill();
    const second = await fx.start();
    await fx.settle(second);
    expect(status(second, 'u1', 'midnight-static')).to.equal('watching');
    fx.clock.advance(DISLIKE_AFTER + 1);
    await expectDisliked(second);
  });

  it('fires for an actor that was passivated (evicted from memory) before its time came', async () => {
    const p = await fx.start({ maxLiveActors: 1 });
    await dropAfterThreeMinutes(p);
    // Another viewer takes the only live slot: u1 now lives in the store only.
    await fx.report('u2', 'paper-kings', 's01e01', 60, 1500);
    await fx.settle(p);
    expect(p.runtime.host('movieflix', 'viewer').liveActors).to.equal(1);
    fx.clock.advance(DISLIKE_AFTER + 1);
    await expectDisliked(p);
  });
});
