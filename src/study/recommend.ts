// `recommend`: which (network, layer) to use for a task, from measured results
// only. The best cell of the task's benchmark (ImageNet-weight runs of one
// configuration), the cells not significantly worse than it, and, with a time
// budget, the best cell whose loss step fits it on this machine. Without
// results it says what to run, never a number it did not measure.
import { resolve } from 'node:path';
import { analyse, type Cell, type ScoreTable } from './analysis.js';
import { ALPHA } from './claims.js';
import { welchGreater } from './significance.js';
import { lossStepMs, type StepTimeOptions } from './step-time.js';
import { hasResults } from './store.js';
import { readResults } from './study.js';

export const TASKS = ['similarity', 'super-resolution', 'delineation', 'autoencoder'] as const;
export type Task = (typeof TASKS)[number];

export interface RecommendOptions {
  task: Task;
  /** The study folder (its results/ store). */
  results: string;
  /** A configuration id or config-hash prefix (default: the benchmark's configuration with the most finished runs). */
  config?: string;
  /** Milliseconds one loss step may take; measured per cell on `device` (default cpu). */
  budgetMs?: number;
  device?: string;
  /** The timed step's batch and image side (default 4 at 128×128, as the bench). */
  batch?: number;
  size?: number;
  modelsDir?: string;
  /** Where measured step times are cached (default: the results folder). */
  cacheDir?: string;
}

export interface Candidate {
  network: string;
  layers: number[];
  column: string;
  mean: number;
  std: number;
  n: number;
  rank: number;
  /** One-sided Welch p that the best cell is better than this one; null without repetitions on both. */
  pWorse: number | null;
}

export interface VariantRecommendation {
  variant: string;
  metric: string;
  higherIsBetter: boolean;
  best: Candidate;
  /** Other cells not significantly worse than the best (p ≥ α), best first. */
  notWorse: Candidate[];
  /** Whether that could be tested: the best cell has repetitions. */
  tested: boolean;
  pixel: number | null;
  budget?: {
    ms: number;
    device: string;
    batch: number;
    size: number;
    /** The best cell whose step fits, with its time; null when none of the measured ones does. */
    fits: (Candidate & { stepMs: number }) | null;
    /** Cells timed (or read from the cache) on the way, best first. */
    timed: { network: string; layers: number[]; ms: number; cached: boolean }[];
  };
}

export interface Recommendation {
  task: Task;
  results: string;
  configuration: string | null;
  /** The benchmark's other configurations in the folder, not used. */
  otherConfigurations: string[];
  variants: VariantRecommendation[];
  /** Finished runs of the task with random-init loss networks: never used. */
  randomRuns: number;
  /** Without results to recommend from: what to run to get them. */
  toRun: string | null;
}

/** The commands that produce the results a recommendation needs. */
export function whatToRun(task: Task, results: string, why: string): string {
  return [
    `${why} To measure them (ImageNet weights, the study's grid for ${task}):`,
    '  npx dpl-torch export-networks --weights imagenet',
    `  npx dpl-torch run --preset paper --only ${task} --out ${results}`,
    `  npx dpl-torch recommend --task ${task} --results ${results}`,
  ].join('\n');
}

function candidates(t: ScoreTable): Candidate[] {
  const sign = t.higherIsBetter ? 1 : -1;
  const cells = t.rows.flatMap((row) => row.cells.flatMap((c, j) => (c ? [{ row, c, column: t.columns[j]!.label }] : [])));
  cells.sort((a, b) => sign * (b.c.mean - a.c.mean));
  const best = cells[0]!.c;
  const flip = (c: Cell) => ({ mean: sign * c.mean, std: c.std, n: c.n });
  return cells.map(({ row, c, column }, i) => ({
    network: row.network,
    layers: c.layers,
    column,
    mean: c.mean,
    std: c.std,
    n: c.n,
    rank: c.rank,
    pWorse: i === 0 ? null : (welchGreater(flip(best), flip(c))?.p ?? null),
  }));
}

export async function recommend(options: RecommendOptions): Promise<Recommendation> {
  const results = resolve(options.results);
  const base = { task: options.task, results, configuration: null, otherConfigurations: [], variants: [], randomRuns: 0 };
  if (!hasResults(results)) {
    return { ...base, toRun: whatToRun(options.task, options.results, `No study results in ${results}.`) };
  }
  const runs = readResults(results).filter((r) => r.benchmark === options.task && r.status === 'done');
  const randomRuns = runs.filter((r) => r.pretrained === false).length;
  const trusted = runs.filter((r) => r.pretrained === true || r.network === 'pixel');
  if (!trusted.some((r) => r.network !== 'pixel')) {
    const why = randomRuns
      ? `${results} has ${randomRuns} finished ${options.task} run(s), all with random-init loss networks, which say nothing about pretrained ones.`
      : `${results} has no finished ${options.task} run.`;
    return { ...base, randomRuns, toRun: whatToRun(options.task, options.results, why) };
  }
  const a = analyse(trusted, { primary: options.config ? [options.config] : undefined, draws: 0 });
  const primary = a.configurations.find((c) => c.primary)!;
  const tables = a.tables.filter((t) => t.configuration === primary.id && t.rows.some((r) => r.best));
  const timing: StepTimeOptions = {
    device: options.device ?? 'cpu',
    batch: options.batch ?? 4,
    size: options.size ?? 128,
    modelsDir: options.modelsDir,
    cacheDir: options.cacheDir ?? results,
  };
  const variants: VariantRecommendation[] = [];
  for (const t of tables) {
    const all = candidates(t);
    const v: VariantRecommendation = {
      variant: t.variant,
      metric: t.metric,
      higherIsBetter: t.higherIsBetter,
      best: all[0]!,
      notWorse: all.slice(1).filter((c) => c.pWorse !== null && c.pWorse >= ALPHA),
      tested: all[0]!.n > 1,
      pixel: t.pixel?.mean ?? null,
    };
    if (options.budgetMs !== undefined) {
      // Best first; the first cell that fits is the answer, so only cells up to it are timed.
      const timed: NonNullable<VariantRecommendation['budget']>['timed'] = [];
      let fits: (Candidate & { stepMs: number }) | null = null;
      for (const c of all) {
        const { ms, cached } = await lossStepMs(c.network, c.layers, timing);
        timed.push({ network: c.network, layers: c.layers, ms, cached });
        if (ms <= options.budgetMs) {
          fits = { ...c, stepMs: ms };
          break;
        }
      }
      v.budget = { ms: options.budgetMs, device: timing.device, batch: timing.batch, size: timing.size, fits, timed };
    }
    variants.push(v);
  }
  return {
    ...base,
    configuration: primary.id,
    otherConfigurations: a.configurations.filter((c) => !c.primary).map((c) => c.id),
    variants,
    randomRuns,
    toRun: null,
  };
}

const cellName = (c: { network: string; column: string; layers: number[] }) => `${c.network} ${c.column} [${c.layers.join(',')}]`;
const value = (c: Candidate) => `${c.mean.toFixed(4)}${c.n > 1 ? ` ± ${c.std.toFixed(4)}` : ''} (n ${c.n})`;

/** The recommendation as text for the terminal. */
export function recommendationText(r: Recommendation): string {
  if (r.toRun) return r.toRun;
  const lines = [
    `${r.task}: configuration ${r.configuration}${r.otherConfigurations.length ? ` (also in the folder, not used: ${r.otherConfigurations.join(', ')}; pick with --config)` : ''}, ImageNet-weight runs only${r.randomRuns ? ` (${r.randomRuns} random-init run(s) ignored)` : ''}.`,
  ];
  for (const v of r.variants) {
    lines.push(`${v.variant}: best ${cellName(v.best)}: ${v.metric} ${value(v.best)} (${v.higherIsBetter ? 'higher' : 'lower'} is better)`);
    if (!v.tested)
      lines.push('  no repetitions of the best cell: which cells are not significantly worse cannot be told; run with repetitions >= 2');
    else if (v.notWorse.length)
      lines.push(
        `  not significantly worse (one-sided Welch p >= ${ALPHA}): ${v.notWorse.map((c) => `${cellName(c)} ${c.mean.toFixed(4)} (p ${c.pWorse!.toPrecision(2)})`).join('; ')}`,
      );
    else lines.push('  every other cell is significantly worse');
    if (v.pixel !== null) lines.push(`  pixel loss (reference): ${v.pixel.toFixed(4)}`);
    if (v.budget) {
      const b = v.budget;
      const where = `${b.device}, batch ${b.batch} at ${b.size}x${b.size}`;
      lines.push(
        b.fits
          ? `  within ${b.ms} ms per loss step (${where}): ${cellName(b.fits)}: ${value(b.fits)}, ${b.fits.stepMs.toFixed(1)} ms`
          : `  no cell fits ${b.ms} ms per loss step (${where}); the fastest measured took ${Math.min(...b.timed.map((t) => t.ms)).toFixed(1)} ms`,
      );
    }
  }
  return lines.join('\n');
}
