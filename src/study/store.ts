// The results store: one SQLite file per study (WAL mode), so that a crash or
// a kill at any moment leaves every finished run and its metrics intact. A run
// becomes 'done' and gets its metrics in one transaction: never half-written.
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  benchmark TEXT NOT NULL, network TEXT NOT NULL, layers TEXT NOT NULL, variant TEXT NOT NULL,
  repetition INTEGER NOT NULL, seed INTEGER NOT NULL,
  config_hash TEXT NOT NULL, options TEXT NOT NULL,
  primary_metric TEXT NOT NULL, higher_is_better INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
  error TEXT,
  weights_id TEXT, pretrained INTEGER,
  dpl_torch_version TEXT NOT NULL, libtorch_version TEXT, torchvision_version TEXT,
  device TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  started_at TEXT, finished_at TEXT,
  seconds REAL NOT NULL DEFAULT 0,
  artifacts TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface RunRow {
  id: string; benchmark: string; network: string; layers: string; variant: string; repetition: number; seed: number;
  config_hash: string; options: string; primary_metric: string; higher_is_better: number; status: RunStatus;
  error: string | null; weights_id: string | null; pretrained: number | null; dpl_torch_version: string;
  libtorch_version: string | null; torchvision_version: string | null; device: string; attempts: number;
  started_at: string | null; finished_at: string | null; seconds: number; artifacts: string;
}

export class ResultsStore {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed run survives power loss too, not only a killed process.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** SQLite's journal mode ('wal'). */
  journalMode(): string {
    return this.db.pragma('journal_mode', { simple: true }) as string;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Records that a run starts (a new row, or the next attempt of an existing one). */
  start(run: Omit<RunRecord, 'status' | 'error' | 'attempts' | 'startedAt' | 'finishedAt' | 'seconds' | 'artifacts' | 'metrics'>): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, benchmark, network, layers, variant, repetition, seed, config_hash, options,
           primary_metric, higher_is_better, status, weights_id, pretrained, dpl_torch_version, libtorch_version,
           torchvision_version, device, attempts, started_at)
         VALUES (@id, @benchmark, @network, @layers, @variant, @repetition, @seed, @configHash, @options,
           @primaryMetric, @higherIsBetter, 'running', @weightsId, @pretrained, @dplTorch, @libtorch, @torchvision,
           @device, 1, @now)
         ON CONFLICT(id) DO UPDATE SET status = 'running', error = NULL, attempts = attempts + 1, started_at = @now,
           finished_at = NULL, weights_id = @weightsId, pretrained = @pretrained, dpl_torch_version = @dplTorch,
           libtorch_version = @libtorch, torchvision_version = @torchvision, device = @device, options = @options`,
      )
      .run({
        ...run,
        layers: JSON.stringify(run.layers),
        options: JSON.stringify(run.options),
        higherIsBetter: run.higherIsBetter ? 1 : 0,
        pretrained: run.pretrained === null ? null : run.pretrained ? 1 : 0,
        dplTorch: run.versions.dplTorch,
        libtorch: run.versions.libtorch,
        torchvision: run.versions.torchvision,
        now: new Date().toISOString(),
      });
  }

  /** Marks a run done with its metrics, in one transaction. */
  finish(id: string, result: { metrics: Record<string, number>; weightsId: string | null; pretrained: boolean | null; artifacts: string[]; seconds: number }): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM metrics WHERE run_id = ?').run(id);
      const insert = this.db.prepare('INSERT INTO metrics (run_id, name, value) VALUES (?, ?, ?)');
      // NaN/Infinity are stored as NULL: SQLite has no NaN, and a blank is honest.
      for (const [name, value] of Object.entries(result.metrics)) insert.run(id, name, Number.isFinite(value) ? value : null);
      this.db
        .prepare(
          `UPDATE runs SET status = 'done', error = NULL, weights_id = @weightsId, pretrained = @pretrained,
             artifacts = @artifacts, seconds = seconds + @seconds, finished_at = @now WHERE id = @id`,
        )
        .run({
          id,
          weightsId: result.weightsId,
          pretrained: result.pretrained === null ? null : result.pretrained ? 1 : 0,
          artifacts: JSON.stringify(result.artifacts),
          seconds: result.seconds,
          now: new Date().toISOString(),
        });
    })();
  }

  /** Marks a run failed (with its error) or interrupted (Ctrl-C; it resumes on the next run). */
  stop(id: string, status: 'failed' | 'interrupted', error: string, seconds: number): void {
    this.db
      .prepare('UPDATE runs SET status = ?, error = ?, seconds = seconds + ?, finished_at = ? WHERE id = ?')
      .run(status, error, seconds, new Date().toISOString(), id);
  }

  get(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && this.toRecord(row, this.metricsOf([row.id]));
  }

  /** All runs in a stable order (benchmark, variant, network, layers, repetition). */
  runs(filter: { status?: RunStatus } = {}): RunRecord[] {
    const rows = (
      filter.status
        ? this.db.prepare('SELECT * FROM runs WHERE status = ?').all(filter.status)
        : this.db.prepare('SELECT * FROM runs').all()
    ) as RunRow[];
    rows.sort((a, b) => key(a).localeCompare(key(b)));
    const metrics = this.metricsOf(rows.map((r) => r.id));
    return rows.map((r) => this.toRecord(r, metrics));
  }

  setMeta(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row && (JSON.parse(row.value) as T);
  }

  private metricsOf(ids: string[]): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    if (!ids.length) return out;
    const rows = (
      ids.length === 1
        ? this.db.prepare('SELECT run_id, name, value FROM metrics WHERE run_id = ? ORDER BY name').all(ids[0])
        : this.db.prepare('SELECT run_id, name, value FROM metrics ORDER BY run_id, name').all()
    ) as { run_id: string; name: string; value: number | null }[];
    const wanted = new Set(ids);
    for (const r of rows) {
      if (!wanted.has(r.run_id)) continue;
      const m = out.get(r.run_id) ?? {};
      m[r.name] = r.value ?? NaN;
      out.set(r.run_id, m);
    }
    return out;
  }

  private toRecord(r: RunRow, metrics: Map<string, Record<string, number>>): RunRecord {
    return {
      id: r.id,
      benchmark: r.benchmark,
      network: r.network,
      layers: JSON.parse(r.layers) as number[],
      variant: r.variant,
      repetition: r.repetition,
      seed: r.seed,
      configHash: r.config_hash,
      options: JSON.parse(r.options) as Record<string, unknown>,
      primaryMetric: r.primary_metric,
      higherIsBetter: r.higher_is_better === 1,
      status: r.status,
      error: r.error,
      weightsId: r.weights_id,
      pretrained: r.pretrained === null ? null : r.pretrained === 1,
      versions: { dplTorch: r.dpl_torch_version, libtorch: r.libtorch_version, torchvision: r.torchvision_version },
      device: r.device,
      attempts: r.attempts,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      seconds: r.seconds,
      artifacts: JSON.parse(r.artifacts) as string[],
      metrics: metrics.get(r.id) ?? {},
    };
  }
}

const key = (r: RunRow): string =>
  [r.benchmark, r.variant, r.network, r.layers, String(r.repetition).padStart(4, '0'), r.id].join('\u0000');

/** Identity, status, weights and versions columns, then one column per metric name. */
export function runsToCsv(runs: RunRecord[]): string {
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const header = [
    'id', 'benchmark', 'network', 'layers', 'variant', 'repetition', 'seed', 'status', 'error', 'weights_id',
    'weights', 'config_hash', 'dpl_torch', 'libtorch', 'torchvision', 'device', 'attempts', 'seconds', 'finished_at',
    ...metricNames,
  ];
  const rows = runs.map((r) => [
    r.id, r.benchmark, r.network, r.layers.join(' '), r.variant, r.repetition, r.seed, r.status, r.error ?? '',
    r.weightsId ?? '', weightsLabel(r.pretrained), r.configHash, r.versions.dplTorch, r.versions.libtorch ?? '',
    r.versions.torchvision ?? '', r.device, r.attempts, r.seconds.toFixed(1), r.finishedAt ?? '',
    ...metricNames.map((m) => (m in r.metrics && Number.isFinite(r.metrics[m]) ? r.metrics[m] : '')),
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

export const weightsLabel = (pretrained: boolean | null): string =>
  pretrained === null ? 'none' : pretrained ? 'imagenet' : 'random';

export function csvCell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes results.csv and results.json beside each other. */
export function exportResults(runs: RunRecord[], csvPath: string, jsonPath: string): void {
  writeFileSync(csvPath, runsToCsv(runs));
  writeFileSync(jsonPath, JSON.stringify(runs, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}
