/**
 * MovieFlix's show catalog: shows with their genres and seasons (episode count and duration per
 * season). The data ships in `config/movieflix-catalog.json`; this module validates it and answers
 * what the viewer actor and the edge need: does the episode exist, is it a season finale, how long
 * is a show. A movie is a show of one season with one episode.
 *
 * Episode ids are `sSSeEE` (`s01e03`: season 1, episode 3).
 */
import { z } from 'zod';
import { EPISODE_ID, entityId } from './events.js';

const seasonSchema = z.object({
  number: z.number().int().positive(),
  episodes: z.number().int().positive().max(500),
  episodeDurationSec: z.number().int().positive().max(6 * 3_600),
});

const showSchema = z.object({
  id: entityId,
  title: z.string().min(1).max(200),
  genres: z.array(z.string().regex(/^[a-z][a-z-]*$/)).min(1).max(5),
  seasons: z.array(seasonSchema).min(1).max(99),
});

export const catalogSchema = z.object({ version: z.number().int(), shows: z.array(showSchema).min(1) });

export type Show = z.infer<typeof showSchema>;

export interface EpisodeRef {
  readonly showId: string;
  readonly episodeId: string;
  readonly season: number;
  readonly episode: number;
  readonly durationSec: number;
  /** The last episode of its season: finishing it finishes the season. */
  readonly seasonFinale: boolean;
}

export const episodeIdOf = (season: number, episode: number): string =>
  `s${String(season).padStart(2, '0')}e${String(episode).padStart(2, '0')}`;

export class Catalog {
  private readonly byId: ReadonlyMap<string, Show>;

  private constructor(readonly shows: readonly Show[]) {
    this.byId = new Map(shows.map((s) => [s.id, s]));
  }

  /** Validates catalog JSON; throws naming what is wrong with it. */
  static from(json: unknown): Catalog {
    const parsed = catalogSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid MovieFlix catalog at ${issue.path.join('.')}: ${issue.message}`);
    }
    const seen = new Set<string>();
    for (const show of parsed.data.shows) {
      if (seen.has(show.id)) throw new Error(`invalid MovieFlix catalog: show ${show.id} is listed twice`);
      seen.add(show.id);
      show.seasons.forEach((s, i) => {
        if (s.number !== i + 1) throw new Error(`invalid MovieFlix catalog: ${show.id} season ${i + 1} is numbered ${s.number}`);
      });
    }
    return new Catalog(parsed.data.shows);
  }

  show(showId: string): Show | undefined {
    return this.byId.get(showId);
  }

  title(showId: string): string {
    return this.byId.get(showId)?.title ?? showId;
  }

  episode(showId: string, episodeId: string): EpisodeRef | undefined {
    const show = this.byId.get(showId);
    const m = EPISODE_ID.exec(episodeId);
    if (!show || !m) return undefined;
    const season = show.seasons[Number(m[1]) - 1];
    const episode = Number(m[2]);
    if (!season || episode < 1 || episode > season.episodes) return undefined;
    return {
      showId,
      episodeId,
      season: season.number,
      episode,
      durationSec: season.episodeDurationSec,
      seasonFinale: episode === season.episodes,
    };
  }

  episodeCount(showId: string): number {
    return this.byId.get(showId)?.seasons.reduce((n, s) => n + s.episodes, 0) ?? 0;
  }

  /** Every season finale of every show: what "finishing a season" is measured against. */
  finales(): EpisodeRef[] {
    return this.shows.flatMap((show) =>
      show.seasons.map((s) => this.episode(show.id, episodeIdOf(s.number, s.episodes))!));
  }
}
