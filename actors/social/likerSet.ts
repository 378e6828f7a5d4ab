/**
 * The users who like a post: a sorted set of user ids, kept as sorted chunks of a few hundred ids.
 * A like copies one chunk and the list of chunks, not every id: with one flat sorted array a post
 * with 100k likers copied 100k ids on every like (and a popular post is exactly the one that gets
 * them). The value stays plain immutable JSON — arrays of strings — that XState snapshots and
 * restores as it is.
 */
export type LikerSet = ReadonlyArray<ReadonlyArray<string>>;

/** A chunk is split in two when it grows past this. */
const MAX_CHUNK = 512;

export const noLikers: LikerSet = [];

export function likerCount(set: LikerSet): number {
  let n = 0;
  for (const chunk of set) n += chunk.length;
  return n;
}

export function hasLiker(set: LikerSet, userId: string): boolean {
  const chunk = set[chunkFor(set, userId)];
  return chunk !== undefined && search(chunk, userId) >= 0;
}

/** The set with `userId` in it (the same set if it was). */
export function addLiker(set: LikerSet, userId: string): LikerSet {
  if (set.length === 0) return [[userId]];
  const c = chunkFor(set, userId);
  const chunk = set[c];
  const i = search(chunk, userId);
  if (i >= 0) return set;
  const at = -i - 1;
  const grown = [...chunk.slice(0, at), userId, ...chunk.slice(at)];
  const replacement = grown.length > MAX_CHUNK ? [grown.slice(0, grown.length >> 1), grown.slice(grown.length >> 1)] : [grown];
  return [...set.slice(0, c), ...replacement, ...set.slice(c + 1)];
}

/** The set without `userId` (the same set if it was not in it). */
export function removeLiker(set: LikerSet, userId: string): LikerSet {
  const c = chunkFor(set, userId);
  const chunk = set[c];
  if (chunk === undefined) return set;
  const i = search(chunk, userId);
  if (i < 0) return set;
  const shrunk = [...chunk.slice(0, i), ...chunk.slice(i + 1)];
  return [...set.slice(0, c), ...(shrunk.length > 0 ? [shrunk] : []), ...set.slice(c + 1)];
}

/** Every liker, in order. */
export function likerIds(set: LikerSet): string[] {
  return set.flat();
}

/** The chunk that holds `userId` or would: the first whose last id is not below it (else the last). */
function chunkFor(set: LikerSet, userId: string): number {
  let lo = 0;
  let hi = set.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const chunk = set[mid];
    if (chunk[chunk.length - 1] < userId) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of `value` in a sorted chunk, or -(insertion point) - 1. */
function search(sorted: ReadonlyArray<string>, value: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else if (sorted[mid] > value) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}
