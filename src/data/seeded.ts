// Seeded randomness for data selection and shuffling: the same seed gives the
// same order on every machine (mulberry32; JS numbers, no platform RNG).

/** A generator of uniform [0, 1) numbers from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes several integers into one 32-bit seed (for per-epoch or per-purpose streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return h >>> 0;
}

/** A Fisher-Yates shuffled copy of `items`. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const next = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A seeded permutation of 0..n-1. */
export function seededPermutation(n: number, seed: number): number[] {
  return seededShuffle(
    Array.from({ length: n }, (_, i) => i),
    seed,
  );
}

/** The order of `n` samples in `epoch` of a run seeded `seed`: the same on every machine and every resume. */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return seededPermutation(n, mixSeed(seed, epoch));
}

/**
 * A seeded split of 0..n-1: the first round(n * valFraction) of a seeded
 * permutation are validation, the rest training (each list in permutation order).
 */
export function seededSplit(n: number, valFraction: number, seed: number): { train: number[]; val: number[] } {
  const order = seededPermutation(n, seed);
  const val = Math.round(n * valFraction);
  return { val: order.slice(0, val), train: order.slice(val) };
}
