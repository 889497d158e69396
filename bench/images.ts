// Seeded inputs for the bench, from the package's own PRNG.
import type { FloatTensor } from '../dist/index.js';
import { mulberry32 } from '../dist/data/seeded.js';

/** A seeded [0,1) image batch (mulberry32): the same inputs on both sides, every run. */
export function seededImages(shape: number[], seed: number): FloatTensor {
  const next = mulberry32(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = next();
  return { data, shape };
}
