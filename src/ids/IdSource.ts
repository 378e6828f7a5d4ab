import { customRandom, nanoid, urlAlphabet } from 'nanoid';

/** Where event ids come from: nanoid in production, a seeded nanoid in simulation and specs. */
export interface IdSource {
  next(): string;
}

export const nanoidSource: IdSource = { next: () => nanoid() };

/** sfc32: a small, fast PRNG with a 128-bit state; same seed, same ids, on every machine. */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
  let c = 0xb7e15162;
  let d = 0x1234567 ^ seed;
  const next = (): number => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

export function seededIdSource(seed: number): IdSource {
  const random = seededRandom(seed);
  const generate = customRandom(urlAlphabet, 21, (size) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = Math.floor(random() * 256);
    return bytes;
  });
  return { next: () => generate() };
}
