// Runs a planned grid: skips finished runs, resumes interrupted ones (each run
// keeps its folder <out>/runs/<id>/ for checkpoints), records a failing run with
// its error and goes on, and stops cleanly when the AbortSignal fires. Several
// workers (processes, hosts, Slurm tasks) may run one folder at once: each run is
// claimed before it starts (claims.ts), so no run is run twice at a time, and a
// dead or silent worker's run is taken over and resumes from its checkpoint.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportNetworks } from '../export-networks.js';
import { readManifest, weightsId, type ManifestEntry } from '../manifest.js';
import { native } from '../native.js';
import { modelsDir as defaultModelsDir, packageRoot } from '../paths.js';
import { RunClaim, RunClaims, type ClaimOptions, type ClaimView } from './run-claims.js';
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
  | {
      type: 'plan';
      total: number;
      pending: number;
      skipped: number;
      /** When this worker runs one shard: its label ('i/n') and the whole plan's size. */
      shard?: { label: string; planTotal: number };
    }
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
  /** A run another live worker holds (claimed before this one came to it, or taken over from this one): left to it. */
  | ({ type: 'run-held'; holder: string } & RunPlace)
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
  /** RunClaim timeout and heartbeat (default: DPL_TORCH_CLAIM_TIMEOUT or 10 minutes). */
  claims?: ClaimOptions;
  /** The shard this worker runs ('i/n'), recorded with each run; and the whole plan's size. */
  shard?: { label: string; planTotal: number };
}

export interface RunSummary {
  total: number;
  skipped: number;
  done: number;
  failed: number;
  /** Runs that other live workers held, left to them. */
  held: number;
}

/** 'host pid 123 (note), heartbeat 4 s ago' */
export function describeHolder(c: ClaimView, now = Date.now()): string {
  const who = c.info ? `${c.info.host} pid ${c.info.pid}${c.info.note ? ` (${c.info.note})` : ''}` : 'an unreadable claim';
  return `${who}, heartbeat ${Math.round((now - c.heartbeat) / 1000)} s ago`;
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
async function resolveModels(networks: string[], opts: RunnerOptions, claims: RunClaims): Promise<Map<string, ModelSource | Error>> {
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
  if (networks.some((n) => !lookup(n)) && opts.weights === 'any') {
    // One worker exports at a time (the manifest is read, merged and rewritten); the others wait, then look again.
    await claims.withLock(
      'export-networks',
      async () => {
        const missing = networks.filter((n) => !lookup(n));
        if (!missing.length) return;
        opts.emit({
          type: 'log',
          line: `no export of ${missing.join(', ')} in ${dir}: exporting with RANDOM weights (seed ${opts.seed}) into ${own}`,
        });
        try {
          await exportNetworks({ architectures: missing, weights: 'random', seed: opts.seed, out: own });
        } catch (e) {
          for (const n of missing) found.set(n, e as Error);
        }
      },
      (held) => opts.emit({ type: 'log', line: `waiting for another worker's network export (${describeHolder(held)})` }),
    );
  }
  for (const n of networks) {
    if (found.has(n)) continue;
    const source = lookup(n);
    if (!source) {
      found.set(
        n,
        new Error(
          `no exported loss network '${n}' in ${dir}; run \`npx dpl-torch export-networks --arch ${n}\` (the paper preset needs ImageNet weights)`,
        ),
      );
    } else if (opts.weights === 'imagenet' && source.entry.weights === 'random') {
      found.set(
        n,
        new Error(
          `${n} in ${source.dir} has random weights (seed ${source.entry.seed}), and this study asks for ImageNet weights; ` +
            `run \`npx dpl-torch export-networks --arch ${n} --weights imagenet\``,
        ),
      );
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
export function progressEvents(
  place: RunPlace,
  started: number,
  emit: (e: StudyEvent) => void,
): (done: number, total: number, note?: string) => void {
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
  opts.emit({
    type: 'plan',
    total: plan.length,
    pending: pending.length,
    skipped: plan.length - pending.length,
    ...(opts.shard ? { shard: opts.shard } : {}),
  });
  const summary: RunSummary = { total: plan.length, skipped: plan.length - pending.length, done: 0, failed: 0, held: 0 };
  if (!pending.length) return summary;
  if (opts.signal.aborted) throw new StudyInterrupted(null);

  const claims = new RunClaims(join(resolve(opts.out), 'claims'), opts.claims);
  const networks = [...new Set(pending.map((r) => r.identity.network).filter((n) => n !== 'pixel'))];
  const models = await resolveModels(networks, opts, claims);
  const versions = { dplTorch: dplTorchVersion(), libtorch: libtorchVersion() };
  const started = Date.now();

  for (const [index, run] of pending.entries()) {
    if (opts.signal.aborted) throw new StudyInterrupted(null);
    const base: RunPlace = { id: run.id, run: run.identity, index, of: pending.length };
    const claim = claims.tryClaim(run.id);
    if (!(claim instanceof RunClaim)) {
      summary.held++;
      opts.emit({ type: 'run-held', ...base, holder: describeHolder(claim.held) });
      continue;
    }
    try {
      // Read again now that it is ours: another worker may have finished it since the plan was read.
      if (store.get(run.id)?.status === 'done') {
        summary.skipped++;
        continue;
      }
      if (claim.tookOver)
        opts.emit({
          type: 'log',
          id: run.id,
          line: `taking over ${run.id} from ${describeHolder(claim.tookOver)} (${claim.tookOver.state}); it resumes from its checkpoint`,
        });
      const outcome = await runOne(run, base, claim, models, versions, started, opts, claims);
      if (outcome === 'done') summary.done++;
      else if (outcome === 'failed') summary.failed++;
      else summary.held++;
    } finally {
      claim.release();
    }
  }
  return summary;
}

/** Runs one claimed run and records it; 'held' when the claim was lost to another worker (nothing recorded then). */
async function runOne(
  run: PlannedRun,
  base: RunPlace,
  claim: RunClaim,
  models: Map<string, ModelSource | Error>,
  versions: { dplTorch: string; libtorch: string | null },
  started: number,
  opts: RunnerOptions,
  claims: RunClaims,
): Promise<'done' | 'failed' | 'held'> {
  const { store } = opts;
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
    shard: opts.shard?.label ?? null,
  });
  opts.emit({ type: 'run-start', ...base });
  const t0 = Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  const lost = () => {
    const now = claims.read(run.id);
    opts.emit({ type: 'run-held', ...base, holder: `taken over by ${now ? describeHolder(now) : 'another worker'}; left to it` });
    return 'held' as const;
  };
  const progress = progressEvents(base, started, opts.emit);
  try {
    if (source instanceof Error) throw source;
    if (run.quickData && !existsSync(join(run.data, '.complete'))) {
      // Quick scales: the benchmark's synthetic data, made once per folder by one worker; the marker says it is whole.
      await claims.withLock(`data-${run.identity.benchmark}`, async () => {
        if (existsSync(join(run.data, '.complete'))) return;
        opts.emit({ type: 'log', id: run.id, line: `making synthetic ${run.identity.benchmark} data in ${run.data}` });
        mkdirSync(run.data, { recursive: true });
        await run.entry.makeQuickData!(run.data, 0);
        writeFileSync(join(run.data, '.complete'), new Date().toISOString());
      });
    }
    const dir = join(resolve(opts.out), 'runs', run.id);
    mkdirSync(dir, { recursive: true });
    const result = await run.entry.benchmark.run(run.spec, {
      dir,
      device: opts.device,
      modelsDir: source?.dir,
      // Ctrl-C, or the claim lost to another worker: either way the run saves its checkpoint and stops.
      signal: AbortSignal.any([opts.signal, claim.lost]),
      progress: (done, total, note) => {
        claim.progress(done, total, note);
        progress(done, total, note);
      },
      log: (line) => opts.emit({ type: 'log', id: run.id, line }),
    });
    // A run that returned is complete (the contract says an aborted run throws): keep it even if Ctrl-C came late,
    // unless another worker holds it now (then its result is that worker's to write).
    if (!claim.stillMine()) return lost();
    const pretrained = run.identity.network === 'pixel' ? null : !result.weightsId.startsWith('random');
    if (opts.weights === 'imagenet' && pretrained === false && !run.entry.randomInitVariants?.includes(run.identity.variant)) {
      throw new Error(`the run used random weights (${result.weightsId}), and this study asks for ImageNet weights`);
    }
    store.finish(run.id, {
      metrics: result.metrics,
      weightsId: result.weightsId,
      pretrained,
      artifacts: result.artifacts ?? [],
      seconds: seconds(),
    });
    opts.emit({ type: 'run-end', ...base, status: 'done', seconds: seconds() });
    return 'done';
  } catch (e) {
    if (!claim.stillMine()) return lost();
    if (opts.signal.aborted) {
      store.stop(run.id, 'interrupted', 'interrupted (SIGINT); it resumes from its checkpoint on the next run', seconds());
      opts.emit({ type: 'run-end', ...base, status: 'interrupted', seconds: seconds() });
      throw new StudyInterrupted(run.id);
    }
    const message = (e as Error).message ?? String(e);
    store.stop(run.id, 'failed', message, seconds());
    opts.emit({ type: 'run-end', ...base, status: 'failed', seconds: seconds(), error: message });
    return 'failed';
  }
}
