// The job queue is bounded on request: pendingJobs() shows its depth, and past
// setMaxPendingJobs(n) a call rejects at once with ERR_DPL_BUSY and queues nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { gaussianBlur } from '../src/image-ops.js';
import { pendingJobs, setMaxPendingJobs } from '../src/runtime.js';
import { randomImages } from './helpers/reference.js';

const img = randomImages([1, 3, 64, 64], 5);

afterEach(() => {
  setMaxPendingJobs(Infinity);
});

describe('job queue', () => {
  it('pendingJobs counts calls until their results are delivered', async () => {
    expect(pendingJobs()).toBe(0);
    const calls = Array.from({ length: 5 }, () => gaussianBlur(img, { sigma: 1 }));
    // Nothing is delivered while this synchronous code runs, so all 5 count.
    expect(pendingJobs()).toBe(5);
    await Promise.all(calls);
    expect(pendingJobs()).toBe(0);
  });

  it('past the bound a call rejects with ERR_DPL_BUSY at once; the ones admitted complete', async () => {
    expect(setMaxPendingJobs(3)).toBe(Infinity);
    const calls = Array.from({ length: 10 }, () => gaussianBlur(img, { sigma: 1 }));
    expect(pendingJobs()).toBe(3);
    const settled = await Promise.allSettled(calls);
    expect(settled.slice(0, 3).map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    for (const s of settled.slice(3)) {
      expect(s.status).toBe('rejected');
      const e = (s as PromiseRejectedResult).reason as Error & { code: string };
      expect(e.code).toBe('ERR_DPL_BUSY');
      expect(e.message).toMatch(/3 pending.*setMaxPendingJobs/);
    }
    // Room again once results are delivered: a producer that awaits is never refused.
    for (let i = 0; i < 6; i++) await gaussianBlur(img, { sigma: 1 });
    expect(pendingJobs()).toBe(0);
  });

  it('Infinity lifts the bound; a bound that is not a positive integer is refused', async () => {
    setMaxPendingJobs(1);
    expect(setMaxPendingJobs(Infinity)).toBe(1);
    const calls = Array.from({ length: 8 }, () => gaussianBlur(img, { sigma: 1 }));
    expect(pendingJobs()).toBe(8);
    await Promise.all(calls);
    for (const bad of [0, -1, 1.5, NaN]) expect(() => setMaxPendingJobs(bad)).toThrow(/positive integer or Infinity/);
  });
});
