// Keeping the tensor thread busy: while one native step runs, the next batch is
// read and decoded. Decoding can block the JS thread, so the native call is
// always queued first and the next load started after it.

/** A promise that may be dropped (an abort) without an unhandled rejection; awaiting it still throws. */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Runs `run` on `items` in batches of `size` and hands each batch and its result
 * to `use`, loading the next batch while the tensor thread works on this one.
 */
export async function forEachBatch<T, B, R>(
  items: readonly T[],
  size: number,
  load: (slice: T[]) => Promise<B>,
  run: (batch: B) => Promise<R>,
  use: (batch: B, result: R) => void | Promise<void>,
): Promise<void> {
  const fetch = (i: number) => quiet(load(items.slice(i, i + size)));
  let next = fetch(0);
  for (let i = 0; i < items.length; i += size) {
    const batch = await next;
    const pending = run(batch);
    if (i + size < items.length) next = fetch(i + size);
    await use(batch, await pending);
  }
}
