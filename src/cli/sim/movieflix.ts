/**
 * MovieFlix under simulation: viewers binge a season to its finale, watch a few episodes and stop
 * (and may resume later), or drop a new show after a few minutes for good, seeking back now and
 * then; the player reports positions along the episodes, by event time. The popularity batch job
 * runs every `popularityIntervalMs` of simulated time over the analytics store. A small share of
 * records is malformed. The generator keeps the truth per user, in the order it produced it (keys
 * are user ids, so the viewer actor sees that order), and the checks hold the read model, the dead
 * letters and the analytics store to it.
 *
 * The dislike is a delayed transition on the runtime's clock — processing time — while the truth
 * is kept by event time. They agree when a user's gap between two reports is clearly shorter or
 * clearly longer than `dislikeAfterMs`, by more than the delays faults cause (a paused partition
 * holds records 30 s): so no user comes back within `marginMs` of `dislikeAfterMs`, and the checks
 * leave alone the shows whose judgement may or may not have come by the end of the run.
 */
import { episodeIdOf } from '../../../actors/movieflix/catalog.js';
import type { ShowStatus } from '../../../actors/movieflix/events.js';
import { compareEpisodes } from '../../../actors/movieflix/showProgress.js';
import { movieflixCatalog as catalog, datasetOf, movieflixSettings, movieflixTopics as t } from '../../../config/movieflix.js';
import { PopularityJob } from '../../apps/movieflix/PopularityJob.js';
import { movieflixApp } from '../../apps/movieflix/movieflixApp.js';
import { DLQ_HEADERS } from '../../host/deadLetter.js';
import { deadLetterTopic } from '../../host/topology.js';
import type { Invariant, SimApp, SimEnvironment, SimRecord, SimView } from '../../sim/Simulation.js';
import { type SimSizes, perTick, pick, skewed, timesIn } from '../../sim/traffic.js';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteMovieflixReadModel } from '../../../adapters/sqlite/SqliteMovieflixReadModel.js';
import type { SqliteDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';

export interface MovieflixSimOptions {
  /** Short, so that dropped shows are disliked within a run. */
  readonly dislikeAfterMs: number;
  /** More than any processing delay of a report (see above). */
  readonly marginMs: number;
}

export const MOVIEFLIX_SIM_DEFAULTS: MovieflixSimOptions = { dislikeAfterMs: 10 * 60_000, marginMs: 3 * 60_000 };

const APP = datasetOf(t);
const MALFORMED = 0.005;
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

export function createMovieflixSim(options: MovieflixSimOptions = MOVIEFLIX_SIM_DEFAULTS) {
  return (env: SimEnvironment, db: SqliteDatabase, sizes: SimSizes, tickMs: number): SimApp =>
    movieflixSimApp(env, db, sizes, tickMs, options);
}

export const movieflixSim = createMovieflixSim();

function movieflixSimApp(env: SimEnvironment, db: SqliteDatabase, sizes: SimSizes, tickMs: number, o: MovieflixSimOptions): SimApp {
  const settings = { ...movieflixSettings, dislikeAfterMs: o.dislikeAfterMs };
  const D = o.dislikeAfterMs;
  const M = o.marginMs;
  // Reports come every few seconds to a minute: often enough for the rate with a quarter of the
  // users watching, never as far apart as the margin around the dislike delay.
  const maxGap = Math.max(3_000, Math.min(60_000, (D - M) / 2, (sizes.users * 1_000) / (3 * sizes.rate)));
  const { random, ids } = env;
  const readModel = new SqliteMovieflixReadModel(db);
  const analytics = new SqliteAnalyticsSink({ name: 'movieflix.analytics', topics: [t.showPosition.name], db });
  const popularity = new PopularityJob({
    analytics: readModel, store: readModel, catalog, clock: env.clock, topic: t.showPosition.name,
    intervalMs: settings.popularityIntervalMs, windowMs: settings.popularityWindowMs, completeRatio: settings.completeRatio,
  });
  let popularityDue = env.clock.now();
  const viewers = new Map<number, Viewer>();
  const buckets = new Map<number, Session[]>();
  const origin = env.clock.now();
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
  const report = (s: Session, at: number, iso: string, out: SimRecord[]): boolean => {
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
      topic: t.showPosition.name, key: v.userId,
      value: JSON.stringify({
        id: ids.next(), type: 'movieflix.position_recorded', key: v.userId, at: iso, userId: v.userId,
        showId: show.showId, episodeId, positionSec: s.pos, durationSec: duration,
      }),
    });
    const lastOfSeason = s.episode === seasons[s.season - 1].episodes;
    const ended = s.pos >= duration && lastOfSeason && (s.kind === 'binge' || s.season === seasons.length);
    if (s.left > 0 && !ended) return true;
    v.busy = false;
    v.availableAt = at + (random() < 0.9 ? random() * Math.min(60_000, (D - M) / 2) : D + M + random() * D);
    return false;
  };

  const next = (until: number): SimRecord[] => {
    if (until >= popularityDue) {
      popularity.run();
      popularityDue = until + settings.popularityIntervalMs;
    }
    const bucket = bucketOf(until);
    const due = buckets.get(bucket) ?? [];
    buckets.delete(bucket);
    const n = Math.max(due.length, perTick(sizes.rate, tickMs, random));
    const times = timesIn(until, tickMs, n);
    const out: SimRecord[] = [];
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
    return out;
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
    const end = env.clock.now();
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
      inAnalyticsOnce(view, db, APP, t.showPosition.name),
    ];
  };

  return {
    definition: movieflixApp({ readModel, popularity: () => popularity.current(), stages: [analytics], settings }),
    traffic: { next },
    check,
  };
}

/**
 * Each malformed record, every copy the topic holds, dead-lettered by each stage that decodes the
 * topic (the DLQ headers name the stage and the source offset; a re-sent dead letter counts once).
 */
export function deadLetteredOnce(
  view: SimView, app: string, topic: string, malformed: ReadonlySet<string>, stages: readonly string[],
): Invariant {
  const bad = new Set<string>();
  const values = new Set<string>();
  for (const r of view.records(topic)) {
    if (r.value !== null && malformed.has(r.value)) {
      bad.add(`${r.partition}@${r.offset}`);
      values.add(r.value);
    }
  }
  const byStage = new Map<string, Set<string>>(stages.map((s) => [s, new Set()]));
  let copies = 0;
  for (const r of view.records(deadLetterTopic(app).name)) {
    if (r.headers[DLQ_HEADERS.topic] !== topic) continue;
    const stage = r.headers[DLQ_HEADERS.stage];
    if (!byStage.has(stage)) byStage.set(stage, new Set());
    const seen = byStage.get(stage)!;
    const at = `${r.headers[DLQ_HEADERS.partition]}@${r.headers[DLQ_HEADERS.offset]}`;
    if (seen.has(at)) copies++;
    seen.add(at);
  }
  const wrong = [...byStage].filter(([, seen]) => seen.size !== bad.size || [...seen].some((x) => !bad.has(x)));
  return {
    name: `${app}: every malformed ${topic.split('.').pop()} record dead-lettered, once per stage that decodes it`,
    held: values.size === malformed.size && wrong.length === 0,
    detail: `${values.size} of ${malformed.size} in the topic (${bad.size} copies), by ${[...byStage.keys()].join(', ')}`
      + `${wrong.length ? `; wrong for ${wrong.map(([s, seen]) => `${s} (${seen.size})`).join(', ')}` : ''}; ${copies} re-sent`,
  };
}

/** The analytics store holds each record of the topic once: same count and offsets per partition. */
export function inAnalyticsOnce(view: SimView, db: SqliteDatabase, app: string, topic: string): Invariant {
  const stored = new Map(db
    .prepare<[string], { partition: number; n: number; lo: number; hi: number }>(
      'SELECT partition, count(*) AS n, min(offset) AS lo, max(offset) AS hi FROM analytics_records WHERE topic = ? GROUP BY partition')
    .all(topic)
    .map((r) => [r.partition, `${r.n}:${r.lo}-${r.hi}`]));
  const inTopic = new Map<number, { n: number; lo: number; hi: number }>();
  for (const r of view.records(topic)) {
    const p = inTopic.get(r.partition);
    if (p) {
      p.n++;
      p.hi = r.offset;
    } else inTopic.set(r.partition, { n: 1, lo: r.offset, hi: r.offset });
  }
  const wrong = [...inTopic].filter(([p, x]) => stored.get(p) !== `${x.n}:${x.lo}-${x.hi}`).map(([p]) => p);
  const total = [...inTopic.values()].reduce((a, x) => a + x.n, 0);
  return {
    name: `${app}: the analytics store holds every ${topic.split('.').pop()} record exactly once`,
    held: wrong.length === 0 && stored.size === inTopic.size,
    detail: wrong.length ? `partitions ${wrong.join(', ')} differ` : `${total} records`,
  };
}

export function movieflixReadModels(db: SqliteDatabase): string {
  const resume = db.prepare('SELECT user_id, show_id, episode_id, position_sec, at FROM movieflix_resume ORDER BY user_id, show_id').all();
  const profile = db.prepare('SELECT * FROM movieflix_profile ORDER BY user_id, show_id').all();
  const recommendations = db.prepare('SELECT * FROM movieflix_recommendations ORDER BY user_id').all();
  const popularity = db.prepare('SELECT * FROM movieflix_popularity ORDER BY show_id').all();
  return JSON.stringify({ resume, profile, recommendations, popularity });
}
