// Process-wide settings of the native runtime: threads, and the caching CPU allocator
// (native/cpu_cache.h: training loops allocate the same large tensors every step, and
// reusing freed blocks saves the page faults that fresh memory from the system costs;
// DPL_TORCH_CPU_CACHE_MB caps what it keeps).
import { native } from './native.js';

/**
 * Threads for tensor work on CPU: LibTorch's intra-op count (on the JS thread and the
 * tensor thread) and OpenBLAS's pool. The default is LibTorch's (on PyTorch 1.13 and
 * x86-64, half the logical cores).
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: n must be a positive integer, got ${n}`);
  native().setThreads(n);
}

export interface CpuCacheStats {
  /** Bytes of freed tensor memory kept for reuse. */
  cachedBytes: number;
  /** The cap (DPL_TORCH_CPU_CACHE_MB, default 2048 MiB); 0 when the cache is off. */
  limitBytes: number;
  /** Large allocations served from the cache, and those that went to the system. */
  hits: number;
  misses: number;
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
