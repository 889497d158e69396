// The machine's FP32 peak, measured: bench/peak-flops.c (independent FMA chains on the
// widest vectors, one thread per core) built with the system C compiler for this CPU.
// The as-user table divides each step's counted GFLOP/s by it.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const SOURCE = join(import.meta.dirname, '..', 'bench', 'peak-flops.c');

export interface Peak {
  /** GFLOP/s of all cores together, and of one core. */
  all: number;
  one: number;
  cores: number;
}

/** Measures the FP32 FMA peak (about 3 s per thread count); undefined, with a warning, without a C compiler. */
export function measurePeak(): Peak | undefined {
  const binary = join(import.meta.dirname, 'peak-flops');
  try {
    // Built every run (a fraction of a second): -march=native is this CPU's, and dist-bench/ travels
    // to other machines (bench/gpu-prepare.sh carries it).
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-march=native', '-pthread', '-o', binary, SOURCE], { stdio: 'pipe' });
    // The best of three one-second runs: a peak, and the first run also ramps the clock.
    const run = (threads: number) =>
      Math.max(...[0, 1, 2].map(() => Number(execFileSync(binary, [String(threads), '1'], { encoding: 'utf8' }).trim())));
    const cores = availableParallelism();
    return { all: run(cores), one: run(1), cores };
  } catch (e) {
    console.warn(`peak FLOP/s not measured (${(e as Error).message.split('\n')[0]}): the % of peak column is left out`);
    return undefined;
  }
}
