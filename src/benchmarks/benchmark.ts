// The contract between the study runner (src/study) and each benchmark
// sequencer (src/benchmarks/<name>.ts). A benchmark trains and evaluates one run;
// the runner decides which runs exist, stores results and reports progress.

export type BenchmarkName = 'similarity' | 'super-resolution' | 'delineation' | 'autoencoder';

/** One run of the grid. Its id is stable: the same spec always gives the same id. */
export interface RunSpec {
  benchmark: BenchmarkName;
  /** Loss network architecture (torchvision name), or 'pixel' for a pixel-loss baseline. */
  network: string;
  /** Extraction layers: one for SR/delineation/autoencoder, the 4 study layers for similarity. */
  layers: number[];
  /** Benchmark-specific variant: similarity 'baseline'|'lin'|'tune'|'scratch'; SR 'x4'|'x8'. */
  variant: string;
  repetition: number;
  seed: number;
  /** Benchmark settings after presets and overrides (epochs, sizes, batch, data dirs...). */
  options: Record<string, unknown>;
}

export interface RunContext {
  /** This run's own folder: checkpoints, samples. Kept across restarts, so a run resumes. */
  dir: string;
  device: string;
  /** Folder of TorchScript exports (undefined: the default). */
  modelsDir?: string;
  /** Aborted on Ctrl-C: stop at the next step boundary after saving a checkpoint, then throw. */
  signal: AbortSignal;
  /** Progress within the run, for bars with ETA. */
  progress(done: number, total: number, note?: string): void;
  log(line: string): void;
}

export interface RunResult {
  /** Flat metric names to values, e.g. 'psnr.set5', 'ssim.mean', '2afc.mean', 'jnd.map'. */
  metrics: Record<string, number>;
  /** The loss network's weights id ('IMAGENET1K_V1:<file>' or 'random:<seed>'). */
  weightsId: string;
  /** Files in the run folder worth showing in a report (e.g. sample images), relative to dir. */
  artifacts?: string[];
}

export interface Benchmark {
  name: BenchmarkName;
  /** The metric the study's analysis ranks by, and whether higher is better. */
  primaryMetric: string;
  higherIsBetter: boolean;
  /** Trains (resuming from ctx.dir) and evaluates one run. */
  run(spec: RunSpec, ctx: RunContext): Promise<RunResult>;
}
