// The results store: one JSON file per run, <out>/results/<run id>.json, each
// replaced whole by an atomic rename (training/atomic.ts) and indexed by reading
// the folder. It is safe on shared filesystems such as NFS, where SQLite's
// locks are not: no two processes ever write one file at once (only a run's
// claim holder writes its record, see claims.ts), and a rename is atomic there
// too. A kill at any moment leaves every record either at its last state or at
// its new one: a run becomes 'done' together with its metrics, in one rename,
// and there is one file per run id, so a result is never lost or doubled.
// docs/cluster.md has the reasons for this design.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { createExclusive, writeFileAtomic } from '../training/atomic.js';
import { importLegacySqlite } from './legacy-store.js';

export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted';

/** What makes a run that run: the same identity and config hash give the same id. */
export interface RunIdentity {
  benchmark: string;
  network: string;
  layers: number[];
  variant: string;
  repetition: number;
  seed: number;
}

export interface RunRecord extends RunIdentity {
  id: string;
  configHash: string;
  options: Record<string, unknown>;
  primaryMetric: string;
  higherIsBetter: boolean;
  status: RunStatus;
  error: string | null;
  /** 'IMAGENET1K_V1:<file>' or 'random:<seed>'; null for a pixel baseline or before the run loaded its network. */
  weightsId: string | null;
  /** true: ImageNet weights; false: random init; null: no loss network (pixel baseline) or unknown. */
  pretrained: boolean | null;
  versions: { dplTorch: string; libtorch: string | null; torchvision: string | null };
  device: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds spent in the run, summed over attempts. */
  seconds: number;
  artifacts: string[];
  metrics: Record<string, number>;
  /** The host of the latest attempt (null in records from before hosts were kept). */
  host: string | null;
  /** The shard ('i/n') of the latest attempt, or null when the worker ran the whole plan. */
  shard: string | null;
}

/** What a worker says when a run starts; host defaults to this machine's name. */
export type RunStart = Omit<
  RunRecord,
  'status' | 'error' | 'attempts' | 'startedAt' | 'finishedAt' | 'seconds' | 'artifacts' | 'metrics' | 'host' | 'shard'
> & {
  host?: string;
  shard?: string | null;
};

/** Whether the study folder `dir` has a store (record files, or an older results.sqlite to import). */
export const hasResults = (dir: string): boolean => existsSync(join(dir, 'results')) || existsSync(join(dir, 'results.sqlite'));

/** The file format's version, in each record file. */
const FORMAT = 1;

export class ResultsStore {
  /** The study folder; records live in <dir>/results. */
  readonly dir: string;
  /** The folder of record files. */
  readonly path: string;

  /**
   * Opens the store of the study folder `dir`. A path to an older
   * `<dir>/results.sqlite` is taken as its folder; such a SQLite store's runs are
   * copied into record files once, the first time the folder is opened.
   */
  constructor(dir: string) {
    this.dir = basename(dir) === 'results.sqlite' ? join(dir, '..') : dir;
    this.path = join(this.dir, 'results');
    mkdirSync(join(this.path, 'meta'), { recursive: true });
    const legacy = join(this.dir, 'results.sqlite');
    if (existsSync(legacy) && !existsSync(join(this.path, 'meta', 'sqlite-imported.json'))) {
      importLegacySqlite(legacy, (r) => this.createIfAbsent(r));
      this.setMeta('sqlite-imported', { from: legacy, at: new Date().toISOString() });
    }
  }

  /** Nothing to close (kept so callers need not care which store they hold). */
  close(): void {}

  private file(id: string): string {
    if (!/^[\w.@+-]+$/.test(id) || id.startsWith('.'))
      throw new Error(`run id '${id}' cannot name a file: use letters, digits and _ . @ + -`);
    return join(this.path, `${id}.json`);
  }

  private write(r: RunRecord): void {
    writeFileAtomic(this.file(r.id), serialise(r));
  }

  /** Writes a record unless one exists, atomically (the legacy import: never over a newer record). */
  private createIfAbsent(r: RunRecord): void {
    createExclusive(this.file(r.id), serialise(r));
  }

  /** Records that a run starts (a new record, or the next attempt of an existing one). */
  start(run: RunStart): void {
    const old = this.get(run.id);
    const { host, shard, ...rest } = run;
    this.write({
      ...rest,
      status: 'running',
      error: null,
      attempts: (old?.attempts ?? 0) + 1,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      seconds: old?.seconds ?? 0,
      artifacts: old?.artifacts ?? [],
      metrics: old?.metrics ?? {},
      host: host ?? hostname(),
      shard: shard ?? null,
    });
  }

  /** Marks a run done with its metrics, in one atomic write. */
  finish(
    id: string,
    result: { metrics: Record<string, number>; weightsId: string | null; pretrained: boolean | null; artifacts: string[]; seconds: number },
  ): void {
    const r = this.require(id);
    this.write({
      ...r,
      status: 'done',
      error: null,
      weightsId: result.weightsId,
      pretrained: result.pretrained,
      artifacts: result.artifacts,
      metrics: result.metrics,
      seconds: r.seconds + result.seconds,
      finishedAt: new Date().toISOString(),
    });
  }

  /** Marks a run failed (with its error) or interrupted (Ctrl-C; it resumes on the next run). */
  stop(id: string, status: 'failed' | 'interrupted', error: string, seconds: number): void {
    const r = this.require(id);
    this.write({ ...r, status, error, seconds: r.seconds + seconds, finishedAt: new Date().toISOString() });
  }

  private require(id: string): RunRecord {
    const r = this.get(id);
    if (!r) throw new Error(`no record of run ${id} in ${this.path}: a run is recorded by start() before it finishes`);
    return r;
  }

  get(id: string): RunRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(id), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return parse(text, this.file(id));
  }

  /** All runs in a stable order (benchmark, variant, network, layers, repetition). */
  runs(filter: { status?: RunStatus } = {}): RunRecord[] {
    const names = readdirSync(this.path).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    const runs = names.map((f) => parse(readFileSync(join(this.path, f), 'utf8'), join(this.path, f)));
    return runs.filter((r) => !filter.status || r.status === filter.status).sort((a, b) => key(a).localeCompare(key(b)));
  }

  setMeta(key: string, value: unknown): void {
    writeFileAtomic(join(this.path, 'meta', `${key}.json`), JSON.stringify(value, null, 1) + '\n');
  }

  getMeta<T>(key: string): T | undefined {
    const path = join(this.path, 'meta', `${key}.json`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
  }
}

/** JSON of a record; NaN and infinite metrics become null (JSON has no NaN, and a blank is honest). */
function serialise(r: RunRecord): string {
  return JSON.stringify({ format: FORMAT, ...r }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n';
}

function parse(text: string, path: string): RunRecord {
  let v: RunRecord & { format?: number };
  try {
    v = JSON.parse(text) as RunRecord & { format?: number };
  } catch (e) {
    throw new Error(`${path} is not a run record (${(e as Error).message}); move it away and that run runs again`);
  }
  if (v.format !== FORMAT)
    throw new Error(`${path} is a run record of format ${v.format}, and this dpl-torch reads format ${FORMAT}; update dpl-torch`);
  const { format: _format, ...r } = v;
  const metrics = Object.fromEntries(
    Object.entries(r.metrics ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => [k, x ?? NaN]),
  );
  return { ...r, metrics, host: r.host ?? null, shard: r.shard ?? null };
}

const key = (r: RunRecord): string =>
  [r.benchmark, r.variant, r.network, JSON.stringify(r.layers), String(r.repetition).padStart(4, '0'), r.id].join('\u0000');

/** Identity, status, weights and versions columns, then one column per metric name. */
export function runsToCsv(runs: RunRecord[]): string {
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const header = [
    'id',
    'benchmark',
    'network',
    'layers',
    'variant',
    'repetition',
    'seed',
    'status',
    'error',
    'weights_id',
    'weights',
    'config_hash',
    'dpl_torch',
    'libtorch',
    'torchvision',
    'device',
    'attempts',
    'seconds',
    'finished_at',
    'host',
    'shard',
    ...metricNames,
  ];
  const rows = runs.map((r) => [
    r.id,
    r.benchmark,
    r.network,
    r.layers.join(' '),
    r.variant,
    r.repetition,
    r.seed,
    r.status,
    r.error ?? '',
    r.weightsId ?? '',
    weightsLabel(r.pretrained),
    r.configHash,
    r.versions.dplTorch,
    r.versions.libtorch ?? '',
    r.versions.torchvision ?? '',
    r.device,
    r.attempts,
    r.seconds.toFixed(1),
    r.finishedAt ?? '',
    r.host ?? '',
    r.shard ?? '',
    ...metricNames.map((m) => (m in r.metrics && Number.isFinite(r.metrics[m]) ? r.metrics[m] : '')),
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

export const weightsLabel = (pretrained: boolean | null): string => (pretrained === null ? 'none' : pretrained ? 'imagenet' : 'random');

export function csvCell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes results.csv and results.json beside each other. */
export function exportResults(runs: RunRecord[], csvPath: string, jsonPath: string): void {
  // Atomic: several workers on one folder may write them at once; each file is one writer's whole.
  writeFileAtomic(csvPath, runsToCsv(runs));
  writeFileAtomic(jsonPath, JSON.stringify(runs, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}
