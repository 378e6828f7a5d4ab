/**
 * MovieFlix under simulation, through its edge (the video position service's route): viewers binge a season to its finale, watch a few episodes and stop
 * (and may resume later), or drop a new show after a few minutes for good, seeking back now and
 * then; the player reports positions along the episodes, by event time. The popularity batch job
 * runs as the process runs it, a background service on the clock, over the analytics store; the
 * file sink writes its files under the run's scratch directory. Players report with their user's
 * token, or through the video position service with its `service` token. A few reports must be
 * refused, producing nothing: invalid ones (a position past the duration, a show or episode not in
 * the catalog, a time in the future: 400), one in another user's name (403), one with no token (401); a small share of records reaches the topic past the
 * edge, malformed (another producer's bug), for the dead-letter path. The generator keeps the truth per user, in the order it produced it (keys
 * are user ids, so the viewer actor sees that order), and the checks hold the read model, the dead
 * letters and the analytics store to it.
 *
 * The dislike is a delayed transition on the runtime's clock — processing time — while the truth
 * is kept by event time. They agree when a user's gap between two reports is clearly shorter or
 * clearly longer than `dislikeAfterMs`, by more than the delays faults cause (a paused partition
 * holds records 30 s): so no user comes back within `marginMs` of `dislikeAfterMs`, and the checks
 * leave alone the shows whose judgement may or may not have come by the end of the run.
 */
import { join } from 'node:path';
import { episodeIdOf } from '../../../actors/movieflix/catalog.js';
import type { ShowStatus } from '../../../actors/movieflix/events.js';
import { compareEpisodes } from '../../../actors/movieflix/showProgress.js';
import { movieflixCatalog as catalog, datasetOf, movieflixTopics as t } from '../../../config/movieflix.js';
import { deadLetteredOnce, inFilesOnce, storedOnce } from '../../sim/invariants.js';
import { type SimRequest, caller } from '../../sim/SimEdge.js';
import type { Invariant, SimCall, SimRecord, SimView } from '../../sim/Simulation.js';
import { perTick, pick, skewed, timesIn } from '../../sim/traffic.js';
import { analyticsSummary } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteMovieflixReadModel } from '../../../adapters/sqlite/SqliteMovieflixReadModel.js';
import type { AppSimulation, HostedApp, SimulationContext } from '../AppModule.js';
import { movieflixSettingsFrom } from './hostMovieflix.js';

const APP = datasetOf(t);
const MALFORMED = 0.005;
const INVALID = 0.005;
const POSITION_SERVICE = caller.service('video-position-service');
/** A dropped show is seen for at most this long, well under `dropWithinSec`. */
const DROP_MAX_SEC = 300;

interface TrueShow {
  readonly showId: string;
  readonly furthest: Map<string, number>;
  readonly completed: Set<string>;
  finished: boolean;
  status: ShowStatus;
  resume: { season: number; episode: number; positionSec: number };
  activeAt: number;
  /** Dropped after a few minutes: never played again. */
  dropped: boolean;
}

interface Viewer {
  readonly userId: string;
  readonly shows: Map<string, TrueShow>;
  /** The shows `watching`: the only ones a judgement can change. */
  readonly inProgress: Set<TrueShow>;
  lastAt: number | null;
  busy: boolean;
  availableAt: number;
}

interface Session {
  readonly viewer: Viewer;
  readonly show: TrueShow;
  readonly kind: 'drop' | 'binge' | 'watch';
  season: number;
  episode: number;
  pos: number;
  left: number;
}

export function simulateMovieflix(_hosted: HostedApp, ctx: SimulationContext): AppSimulation {
  const { sizes, tickMs } = ctx;
  const { db } = ctx.app;
  const settings = movieflixSettingsFrom(ctx.app.env);
  const D = settings.dislikeAfterMs;
  // More than any processing delay of a report (see above).
  const M = Math.min(3 * 60_000, Math.round((2 * D) / 3));
  // Reports come every few seconds to a minute: often enough for the rate with a quarter of the
  // users watching, never as far apart as the margin around the dislike delay.
  const maxGap = Math.max(3_000, Math.min(60_000, (D - M) / 2, (sizes.users * 1_000) / (3 * sizes.rate)));
  const { random, ids, clock } = ctx;
  const readModel = new SqliteMovieflixReadModel(db);
  const viewers = new Map<number, Viewer>();
  const buckets = new Map<number, Session[]>();
  const origin = clock.now();
  const malformed = new Set<string>();
  const bucketOf = (ms: number) => Math.ceil((ms - origin) / tickMs);

  const judge = (s: TrueShow, v?: Viewer): void => {
    v?.inProgress.delete(s);
    if (s.status !== 'watching') return;
    let seen = 0;
    for (const sec of s.furthest.values()) seen += sec;
    s.status = seen <= settings.dropWithinSec ? 'disliked' : 'abandoned';
  };

  /** What the viewer actor does with a report, by event time (viewerMachine.ts, showProgress.ts). */
  const observe = (v: Viewer, show: TrueShow, season: number, episode: number, pos: number, at: number): void => {
    // No report for longer than the delay: the delayed transition judged every show in progress.
    if (v.lastAt !== null && at - v.lastAt > D) for (const s of v.inProgress) judge(s, v);
    for (const s of v.inProgress) if (s !== show && s.activeAt + D <= at) judge(s, v);
    v.shows.set(show.showId, show);
    const episodeId = episodeIdOf(season, episode);
    const ref = catalog.episode(show.showId, episodeId)!;
    show.furthest.set(episodeId, Math.max(show.furthest.get(episodeId) ?? 0, pos));
    if (pos >= settings.completeRatio * ref.durationSec) {
      show.completed.add(episodeId);
      if (ref.seasonFinale) show.finished = true;
    }
    show.status = show.finished ? 'liked' : 'watching';
    if (show.finished) v.inProgress.delete(show);
    else v.inProgress.add(show);
    show.resume = { season, episode, positionSec: pos };
    show.activeAt = at;
    v.lastAt = at;
  };

  const viewer = (i: number): Viewer => {
    let v = viewers.get(i);
    if (!v) viewers.set(i, (v = { userId: `user_${i}`, shows: new Map(), inProgress: new Set(), lastAt: null, busy: false, availableAt: 0 }));
    return v;
  };

  /** A viewer free to start watching at `at`, never within the margin around the dislike delay. */
  const start = (at: number): Session | undefined => {
    for (let tries = 0; tries < 8; tries++) {
      const v = viewer(skewed(sizes.users, random, 1.3));
      const gap = v.lastAt === null ? Infinity : at - v.lastAt;
      if (v.busy || at < v.availableAt || (gap >= D - M && gap <= D + M)) continue;
      const resumable = [...v.shows.values()].filter((s) => !s.dropped && !s.finished);
      const fresh = catalog.shows[skewed(catalog.shows.length, random, 2)];
      v.busy = true;
      if (resumable.length > 0 && (v.shows.has(fresh.id) || random() < 0.35)) {
        const show = pick(resumable, random);
        const { season, episode, positionSec } = show.resume;
        return { viewer: v, show, kind: random() < 0.5 ? 'binge' : 'watch', season, episode, pos: positionSec, left: 3 + Math.floor(random() * 8) };
      }
      if (v.shows.has(fresh.id)) {
        v.busy = false;
        continue;
      }
      const show: TrueShow = {
        showId: fresh.id, furthest: new Map(), completed: new Set(), finished: false, status: 'watching',
        resume: { season: 1, episode: 1, positionSec: 0 }, activeAt: at, dropped: false,
      };
      const roll = random();
      if (roll < 0.3) {
        show.dropped = true;
        return { viewer: v, show, kind: 'drop', season: 1, episode: 1, pos: 0, left: 1 + Math.floor(random() * 3) };
      }
      if (roll < 0.65) {
        const season = 1 + Math.floor(random() * fresh.seasons.length);
        const episode = Math.max(1, fresh.seasons[season - 1].episodes - Math.floor(random() * 3));
        return { viewer: v, show, kind: 'binge', season, episode, pos: 0, left: Infinity };
      }
      return { viewer: v, show, kind: 'watch', season: 1, episode: 1, pos: 0, left: 3 + Math.floor(random() * 10) };
    }
    return undefined;
  };

  /** The session's next report; true while the session goes on. */
  const report = (s: Session, at: number, iso: string, out: SimCall[]): boolean => {
    const seasons = catalog.show(s.show.showId)!.seasons;
    let duration = seasons[s.season - 1].episodeDurationSec;
    if (s.kind === 'drop') {
      s.pos = Math.min(DROP_MAX_SEC, s.pos + 30 + Math.floor(random() * 90));
    } else if (s.pos >= duration) {
      if (s.episode < seasons[s.season - 1].episodes) s.episode++;
      else {
        s.season++;
        s.episode = 1;
        duration = seasons[s.season - 1].episodeDurationSec;
      }
      s.pos = Math.floor(random() * 60);
    } else if (s.pos > 120 && random() < 0.1) {
      s.pos -= 60 + Math.floor(random() * Math.min(240, s.pos - 60)); // seeks back
    } else {
      s.pos = Math.min(duration, s.pos + Math.round(duration * (0.2 + 0.4 * random())));
    }
    s.left--;
    const { viewer: v, show } = s;
    observe(v, show, s.season, s.episode, s.pos, at);
    const episodeId = episodeIdOf(s.season, s.episode);
    out.push({
      method: 'POST', url: '/movieflix/positions', expect: 202,
      body: { userId: v.userId, showId: show.showId, episodeId, positionSec: s.pos, durationSec: duration, at: iso },
      // A fifth of the players report through the video position service, which acts for any user.
      as: random() < 0.2 ? POSITION_SERVICE : caller.user(v.userId),
    });
    const lastOfSeason = s.episode === seasons[s.season - 1].episodes;
    const ended = s.pos >= duration && lastOfSeason && (s.kind === 'binge' || s.season === seasons.length);
    if (s.left > 0 && !ended) return true;
    v.busy = false;
    v.availableAt = at + (random() < 0.9 ? random() * Math.min(60_000, (D - M) / 2) : D + M + random() * D);
    return false;
  };

  const next = (until: number): SimCall[] => {
    const bucket = bucketOf(until);
    const due = buckets.get(bucket) ?? [];
    buckets.delete(bucket);
    const n = Math.max(due.length, perTick(sizes.rate, tickMs, random));
    const times = timesIn(until, tickMs, n);
    const out: SimCall[] = [];
    const go = (s: Session, i: number) => {
      const at = Date.parse(times[i]);
      if (!report(s, at, times[i], out)) return;
      const b = Math.max(bucket + 1, bucketOf(at + maxGap / 3 + random() * (maxGap * 2) / 3));
      const list = buckets.get(b);
      if (list) list.push(s);
      else buckets.set(b, [s]);
    };
    due.forEach(go);
    // New sessions fill the rest of the tick (a viewer busy, resting or in the margin is passed over).
    for (let i = due.length; i < n; i++) {
      const s = start(Date.parse(times[i]));
      if (!s) break;
      go(s, i);
    }
    for (const at of timesIn(until, tickMs, perTick(sizes.rate * MALFORMED, tickMs, random))) out.push(malformedRecord(at));
    for (const at of timesIn(until, tickMs, perTick(sizes.rate * INVALID, tickMs, random))) out.push(invalidReport(at, until));
    return out;
  };

  /** A report the position service must refuse (400), producing nothing. */
  const invalidReport = (at: string, now: number): SimRequest => {
    const userId = `user_${skewed(sizes.users, random, 1.5)}`;
    const show = catalog.shows[skewed(catalog.shows.length, random, 2)];
    const valid = { userId, showId: show.id, episodeId: 's01e01', positionSec: 60, durationSec: show.seasons[0].episodeDurationSec, at };
    const kind = Math.floor(random() * 6);
    if (kind === 4) return { method: 'POST', url: '/movieflix/positions', body: valid, as: caller.user(`${userId}_other`), expect: 403 };
    if (kind === 5) return { method: 'POST', url: '/movieflix/positions', body: valid, expect: 401 };
    const broken = [
      { positionSec: valid.durationSec + 1 },
      { showId: 'no-such-show' },
      { episodeId: 's99e99' },
      { at: new Date(now + 60_000).toISOString() },
    ][kind];
    return { method: 'POST', url: '/movieflix/positions', body: { ...valid, ...broken }, as: caller.user(userId), expect: 400 };
  };

  const malformedRecord = (at: string): SimRecord => {
    const key = `user_${skewed(sizes.users, random, 1.5)}`;
    const n = malformed.size + 1;
    const value = n % 2 === 1
      ? `{"malformed": ${n}`
      : JSON.stringify({ id: ids.next(), type: 'movieflix.position_recorded', key, at, userId: key, showId: 'cold-ledger', episodeId: 's01e01', positionSec: -n, durationSec: 2700 });
    malformed.add(value);
    return { topic: t.showPosition.name, key, value };
  };

  const check = (view: SimView): Invariant[] => {
    const end = clock.now();
    const wrong = { resume: [] as string[], liked: [] as string[], disliked: [] as string[], profile: [] as string[], recs: [] as string[] };
    let pairs = 0;
    let liked = 0;
    let disliked = 0;
    let open = 0;
    for (const v of viewers.values()) {
      if (v.lastAt === null) continue;
      // Did the delayed transition fire after the user's last report, before the run ended?
      const fired = v.lastAt + D + M <= end ? true : v.lastAt + D > end ? false : undefined;
      const profile = new Map(readModel.profile(v.userId).map((p) => [p.showId, p]));
      for (const show of v.shows.values()) {
        pairs++;
        const where = `${v.userId}/${show.showId}`;
        const resume = readModel.resume(v.userId, show.showId);
        const episodeId = episodeIdOf(show.resume.season, show.resume.episode);
        if (resume?.episodeId !== episodeId || resume.positionSec !== show.resume.positionSec) {
          wrong.resume.push(`${where}: ${resume ? `${resume.episodeId}@${resume.positionSec}` : 'none'}, truth ${episodeId}@${show.resume.positionSec}`);
        }
        const seen = profile.get(show.showId);
        const judged = { ...show };
        judge(judged);
        const allowed = show.status !== 'watching' || fired === false ? [show.status]
          : fired ? [judged.status] : [show.status, judged.status];
        if (allowed.length > 1) open++;
        if (show.finished) {
          liked++;
          if (seen?.status !== 'liked') wrong.liked.push(`${where}: ${seen?.status ?? 'missing'}`);
        } else if (seen?.status === 'liked') {
          wrong.liked.push(`${where}: liked, season never finished`);
        }
        if (show.dropped && allowed.length === 1 && allowed[0] === 'disliked') {
          disliked++;
          if (seen?.status !== 'disliked') wrong.disliked.push(`${where}: ${seen?.status ?? 'missing'}`);
        }
        const furthest = [...show.furthest.keys()].sort(compareEpisodes).pop();
        if (!seen || !allowed.includes(seen.status) || seen.episodesCompleted !== show.completed.size || seen.furthestEpisodeId !== furthest) {
          wrong.profile.push(`${where}: ${seen ? `${seen.status}, ${seen.episodesCompleted} done, to ${seen.furthestEpisodeId}` : 'missing'}; truth ${allowed.join('|')}, ${show.completed.size} done, to ${furthest}`);
        }
      }
      for (const showId of profile.keys()) if (!v.shows.has(showId)) wrong.profile.push(`${v.userId}/${showId}: never watched`);
      for (const item of readModel.recommendations(v.userId)?.items ?? []) {
        if (!catalog.show(item.showId) || v.shows.has(item.showId)) wrong.recs.push(`${v.userId}: ${item.showId}`);
      }
    }
    const detail = (list: string[], ok: string) => (list.length ? `${list.length} wrong: ${list.slice(0, 3).join('; ')}` : ok);
    return [
      { name: 'movieflix: resume = the latest reported position per (user, show)', held: wrong.resume.length === 0, detail: detail(wrong.resume, `${pairs} shows`) },
      { name: 'movieflix: a show watched to the end of a season counts as liked', held: wrong.liked.length === 0, detail: detail(wrong.liked, `${liked} liked`) },
      {
        name: 'movieflix: a show dropped after a few minutes, not resumed for dislikeAfterMs, counts as disliked',
        held: wrong.disliked.length === 0, detail: detail(wrong.disliked, `${disliked} disliked`),
      },
      {
        name: 'movieflix: every profile entry (status, episodes completed, furthest episode) follows its history',
        held: wrong.profile.length === 0, detail: detail(wrong.profile, `${pairs} shows, ${open} still awaiting the delay`),
      },
      { name: 'movieflix: recommendations are catalog shows the user has not started', held: wrong.recs.length === 0, detail: detail(wrong.recs, `${viewers.size} viewers`) },
      deadLetteredOnce(view, APP, t.showPosition.name, malformed, [`${APP}.viewer`, readModel.projection.name]),
      storedOnce(view, APP, 'the analytics store', t.showPosition.name, analyticsSummary(db, t.showPosition.name)),
      inFilesOnce(view, APP, 'the file sink', join(ctx.app.dataDir, 'files'), [t.showPosition.name]),
    ];
  };

  const readModels = (): string => {
    const resume = db.prepare('SELECT user_id, show_id, episode_id, position_sec, at FROM movieflix_resume ORDER BY user_id, show_id').all();
    const profile = db.prepare('SELECT * FROM movieflix_profile ORDER BY user_id, show_id').all();
    const recommendations = db.prepare('SELECT * FROM movieflix_recommendations ORDER BY user_id').all();
    const popularity = db.prepare('SELECT * FROM movieflix_popularity ORDER BY show_id').all();
    return JSON.stringify({ resume, profile, recommendations, popularity });
  };

  return { traffic: { next }, check, readModels };
}
