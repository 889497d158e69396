// Process-wide settings of the native runtime: threads, the job queue, and the caching
// CPU allocator (native/cpu_cache.h: training loops allocate the same large tensors every
// step, and reusing freed blocks saves the page faults that fresh memory from the system
// costs; DPL_TORCH_CPU_CACHE_MB caps what it keeps).
import { dplError } from './errors.js';
import { native } from './native.js';

/**
 * Threads for tensor work on CPU: LibTorch's intra-op count (OpenBLAS stays at one
 * thread beside it), set on the tensor worker between jobs (never under a running GEMM).
 * Resolves once every call made after it runs with `n` threads. The default is the cores
 * this process may use, or DPL_TORCH_THREADS / OMP_NUM_THREADS when set.
 */
export async function setThreads(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw dplError('ERR_DPL_ARG', `setThreads: n must be a positive integer, got ${n}`);
  await native().setThreads(n);
}

/**
 * Calls queued on the tensor worker, running, or done but not yet delivered
 * (process-wide: every network, model and image operation shares one worker).
 */
export const pendingJobs = (): number => native().pendingJobs();

/**
 * Bounds the job queue: a call that would make more than `n` jobs pending rejects at
 * once with an ERR_DPL_BUSY Error, and queues nothing (its inputs are not kept), so a
 * producer faster than the worker cannot grow memory without limit. `Infinity` (the
 * default) removes the bound. Returns the bound before.
 */
export function setMaxPendingJobs(n: number): number {
  if (n !== Infinity && (!Number.isInteger(n) || n < 1)) {
    throw dplError('ERR_DPL_ARG', `setMaxPendingJobs: n must be a positive integer or Infinity, got ${n}`);
  }
  const before = native().setMaxPendingJobs(n === Infinity ? 0 : n);
  return before === 0 ? Infinity : before;
}

export interface CpuCacheStats {
  /** Bytes of freed tensor memory kept for reuse. */
  cachedBytes: number;
  /** The cap (DPL_TORCH_CPU_CACHE_MB, default 2048 MiB); 0 when the cache is off. */
  limitBytes: number;
  /** Large allocations served from the cache, and those that went to the system. */
  hits: number;
  misses: number;
  /** Cached blocks released at the cap to make room, least recently freed first. */
  evicted: number;
  /** A DPL_TORCH_CPU_CACHE_MB value that is not a whole number of MiB (the default cap is used then). */
  rejectedSetting?: string;
}

export const cpuCacheStats = (): CpuCacheStats => native().cpuCacheStats();

/** Returns every cached block to the system (tensors in use are not touched). */
export const emptyCpuCache = (): void => native().emptyCpuCache();

/** What is wrong with DPL_TORCH_CPU_CACHE_MB, as the native side read it, if anything. */
export function cpuCacheEnvProblem(): string | undefined {
  const value = cpuCacheStats().rejectedSetting;
  if (value === undefined) return undefined;
  return `DPL_TORCH_CPU_CACHE_MB='${value}' is not a whole number of MiB (0 turns the CPU tensor cache off); the default 2048 is used`;
}
