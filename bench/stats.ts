// Small numeric helpers for the bench.

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const geomean = (xs: number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

/** Largest |a-b| over largest |b|: a relative error over the whole tensor. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale + 1e-30);
}

/**
 * ||a-b|| / ||b|| (Euclidean). For gradients: a float-rounding change can flip a
 * max-pool argmax or a ReLU at 0 and move one pixel's share of the gradient, which
 * the max-based error above magnifies; the norm weighs it by its size.
 */
export function l2RelativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff) / (Math.sqrt(norm) + 1e-30);
}

/**
 * One-sided sign test: the chance of at least `wins` wins in `n` paired trials if
 * neither side were faster (each trial a fair coin).
 */
export function signTestP(wins: number, n: number): number {
  let p = 0;
  let c = 1; // C(n, k), built up from k = 0
  for (let k = 0; k <= n; k++) {
    if (k >= wins) p += c;
    c = (c * (n - k)) / (k + 1);
  }
  return p / 2 ** n;
}
