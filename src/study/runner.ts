// Runs a planned grid: skips finished runs, resumes interrupted ones (each run
// keeps its folder <out>/runs/<id>/ for checkpoints), records a failing run with
// its error and goes on, and stops cleanly when the AbortSignal fires.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportNetworks } from '../export-networks.js';
import { readManifest, weightsId, type ManifestEntry } from '../manifest.js';
import { native } from '../native.js';
import { modelsDir as defaultModelsDir, packageRoot } from '../paths.js';
import type { PlannedRun } from './plan.js';
import type { ResultsStore, RunIdentity } from './store.js';

/** Which run an event is about, and where it stands in this session's pending runs. */
export interface RunPlace {
  id: string;
  run: RunIdentity;
  index: number;
  of: number;
}

export type StudyEvent =
  | { type: 'plan'; total: number; pending: number; skipped: number }
  | ({ type: 'run-start' } & RunPlace)
  | ({
      type: 'run-progress';
      done: number;
      total: number;
      note?: string;
      /** Seconds left in this run, and in the whole study, from the rates seen so far (null until known). */
      runEta: number | null;
      studyEta: number | null;
      /** Fraction of this session's pending work done, 0..1. */
      studyFraction: number;
    } & RunPlace)
  | ({ type: 'run-end'; status: 'done' | 'failed' | 'interrupted'; seconds: number; error?: string } & RunPlace)
  | { type: 'log'; id?: string; line: string };

export interface RunnerOptions {
  store: ResultsStore;
  out: string;
  device: string;
  /** The config's models folder (default: models/torchscript or DPL_TORCH_MODELS). */
  modelsDir?: string;
  weights: 'imagenet' | 'any';
  /** Seed for random-init exports made when weights is 'any'. */
  seed: number;
  signal: AbortSignal;
  emit(event: StudyEvent): void;
}

export interface RunSummary {
  total: number;
  skipped: number;
  done: number;
  failed: number;
}

/** Thrown when the signal aborted the study; everything finished so far is in the store. */
export class StudyInterrupted extends Error {
  constructor(readonly runId: string | null) {
    super(
      runId
        ? `interrupted during run ${runId}; its checkpoint is kept and finished runs are stored`
        : 'interrupted before the next run started; finished runs are stored',
    );
    this.name = 'StudyInterrupted';
  }
}

export const dplTorchVersion = (): string =>
  (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

function libtorchVersion(): string | null {
  try {
    return native().info().torchVersion;
  } catch {
    return null;
  }
}

interface ModelSource {
  dir: string;
  entry: ManifestEntry;
}

/**
 * Finds each network's export. With weights 'any', networks exported nowhere are
 * exported now with seeded random weights into <out>/models (one Python call for
 * all). Returns the source per network, or the error that fails its runs.
 */
async function resolveModels(networks: string[], opts: RunnerOptions): Promise<Map<string, ModelSource | Error>> {
  const dir = resolve(opts.modelsDir ?? defaultModelsDir());
  const own = join(resolve(opts.out), 'models');
  const found = new Map<string, ModelSource | Error>();
  const lookup = (arch: string): ModelSource | undefined => {
    for (const d of [dir, own]) {
      const entry = existsSync(d) ? readManifest(d).networks[arch] : undefined;
      if (entry && existsSync(join(d, entry.file))) return { dir: d, entry };
    }
    return undefined;
  };
  const missing = networks.filter((n) => !lookup(n));
  if (missing.length && opts.weights === 'any') {
    opts.emit({ type: 'log', line: `no export of ${missing.join(', ')} in ${dir}: exporting with RANDOM weights (seed ${opts.seed}) into ${own}` });
    try {
      await exportNetworks({ architectures: missing, weights: 'random', seed: opts.seed, out: own });
    } catch (e) {
      for (const n of missing) found.set(n, e as Error);
    }
  }
  for (const n of networks) {
    if (found.has(n)) continue;
    const source = lookup(n);
    if (!source) {
      found.set(n, new Error(`no exported loss network '${n}' in ${dir}; run \`npx dpl-torch export-networks --arch ${n}\` (the paper preset needs ImageNet weights)`));
    } else if (opts.weights === 'imagenet' && source.entry.weights === 'random') {
      found.set(n, new Error(
        `${n} in ${source.dir} has random weights (seed ${source.entry.seed}), and this study asks for ImageNet weights; ` +
          `run \`npx dpl-torch export-networks --arch ${n} --weights imagenet\``,
      ));
    } else {
      found.set(n, source);
    }
  }
  return found;
}

/**
 * A RunContext.progress that emits 'run-progress' events with ETAs. The run's
 * rate counts from the start of its current phase (a new total, e.g. training
 * after a download), so one phase's units do not skew the next one's ETA.
 * `started`: when the session began, for the study's ETA.
 */
export function progressEvents(place: RunPlace, started: number, emit: (e: StudyEvent) => void): (done: number, total: number, note?: string) => void {
  let first: { t: number; done: number; total: number } | undefined;
  return (done, total, note) => {
    const now = Date.now();
    if (!first || first.total !== total || done < first.done) first = { t: now, done, total };
    const rate = done > first.done ? (done - first.done) / (now - first.t) : 0;
    const runEta = rate > 0 ? (total - done) / rate / 1000 : null;
    const runFraction = total > 0 ? Math.min(1, done / total) : 0;
    const studyFraction = (place.index + runFraction) / place.of;
    const elapsed = (now - started) / 1000;
    const studyEta = studyFraction > 0.01 ? (elapsed / studyFraction) * (1 - studyFraction) : null;
    emit({ type: 'run-progress', ...place, done, total, note, runEta, studyEta, studyFraction });
  };
}

export async function runPlanned(plan: PlannedRun[], opts: RunnerOptions): Promise<RunSummary> {
  const { store } = opts;
  const pending = plan.filter((r) => store.get(r.id)?.status !== 'done');
  opts.emit({ type: 'plan', total: plan.length, pending: pending.length, skipped: plan.length - pending.length });
  const summary: RunSummary = { total: plan.length, skipped: plan.length - pending.length, done: 0, failed: 0 };
  if (!pending.length) return summary;
  if (opts.signal.aborted) throw new StudyInterrupted(null);

  const networks = [...new Set(pending.map((r) => r.identity.network).filter((n) => n !== 'pixel'))];
  const models = await resolveModels(networks, opts);
  const versions = { dplTorch: dplTorchVersion(), libtorch: libtorchVersion() };
  const made = new Set<string>();
  const started = Date.now();

  for (const [index, run] of pending.entries()) {
    if (opts.signal.aborted) throw new StudyInterrupted(null);
    const source = run.identity.network === 'pixel' ? null : models.get(run.identity.network)!;
    const entry = source instanceof Error || source === null ? null : source.entry;
    store.start({
      id: run.id,
      ...run.identity,
      configHash: run.configHash,
      // The study's layer mode is recorded beside the benchmark's options (the benchmark never sees it).
      options: { ...run.spec.options, layerMode: run.layerMode },
      primaryMetric: run.entry.benchmark.primaryMetric,
      higherIsBetter: run.entry.benchmark.higherIsBetter,
      weightsId: entry ? weightsId(entry) : null,
      pretrained: entry ? entry.weights !== 'random' : null,
      versions: { ...versions, torchvision: entry?.torchvision ?? null },
      device: opts.device,
    });
    const base: RunPlace = { id: run.id, run: run.identity, index, of: pending.length };
    opts.emit({ type: 'run-start', ...base });
    const t0 = Date.now();
    const seconds = () => (Date.now() - t0) / 1000;
    try {
      if (source instanceof Error) throw source;
      if (run.quickData && !made.has(run.data) && !existsSync(join(run.data, '.complete'))) {
        // Quick scales: the benchmark's synthetic data, made once per folder; the marker says it is whole.
        opts.emit({ type: 'log', id: run.id, line: `making synthetic ${run.identity.benchmark} data in ${run.data}` });
        mkdirSync(run.data, { recursive: true });
        await run.entry.makeQuickData!(run.data, 0);
        writeFileSync(join(run.data, '.complete'), new Date().toISOString());
      }
      made.add(run.data);
      const dir = join(resolve(opts.out), 'runs', run.id);
      mkdirSync(dir, { recursive: true });
      const result = await run.entry.benchmark.run(run.spec, {
        dir,
        device: opts.device,
        modelsDir: source?.dir,
        signal: opts.signal,
        progress: progressEvents(base, started, opts.emit),
        log: (line) => opts.emit({ type: 'log', id: run.id, line }),
      });
      // A run that returned is complete (the contract says an aborted run throws): keep it even if Ctrl-C came late.
      const pretrained = run.identity.network === 'pixel' ? null : !result.weightsId.startsWith('random');
      if (opts.weights === 'imagenet' && pretrained === false && !run.entry.randomInitVariants?.includes(run.identity.variant)) {
        throw new Error(`the run used random weights (${result.weightsId}), and this study asks for ImageNet weights`);
      }
      store.finish(run.id, { metrics: result.metrics, weightsId: result.weightsId, pretrained, artifacts: result.artifacts ?? [], seconds: seconds() });
      summary.done++;
      opts.emit({ type: 'run-end', ...base, status: 'done', seconds: seconds() });
    } catch (e) {
      if (opts.signal.aborted) {
        store.stop(run.id, 'interrupted', 'interrupted (SIGINT); it resumes from its checkpoint on the next run', seconds());
        opts.emit({ type: 'run-end', ...base, status: 'interrupted', seconds: seconds() });
        throw new StudyInterrupted(run.id);
      }
      const message = (e as Error).message ?? String(e);
      store.stop(run.id, 'failed', message, seconds());
      summary.failed++;
      opts.emit({ type: 'run-end', ...base, status: 'failed', seconds: seconds(), error: message });
    }
  }
  return summary;
}
