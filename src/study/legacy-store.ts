// Study folders from before the file store kept their runs in results.sqlite
// (tables runs and metrics). Their runs are read once into the record files, so
// such a study resumes where it stopped.
import Database from 'better-sqlite3';
import type { RunRecord, RunStatus } from './store.js';

interface RunRow {
  id: string;
  benchmark: string;
  network: string;
  layers: string;
  variant: string;
  repetition: number;
  seed: number;
  config_hash: string;
  options: string;
  primary_metric: string;
  higher_is_better: number;
  status: RunStatus;
  error: string | null;
  weights_id: string | null;
  pretrained: number | null;
  dpl_torch_version: string;
  libtorch_version: string | null;
  torchvision_version: string | null;
  device: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  seconds: number;
  artifacts: string;
}

/** Hands each run of the SQLite store at `path` to `add`. */
export function importLegacySqlite(path: string, add: (r: RunRecord) => void): void {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const metrics = new Map<string, Record<string, number>>();
    for (const m of db.prepare('SELECT run_id, name, value FROM metrics ORDER BY run_id, name').all() as {
      run_id: string;
      name: string;
      value: number | null;
    }[]) {
      metrics.set(m.run_id, { ...metrics.get(m.run_id), [m.name]: m.value ?? NaN });
    }
    for (const r of db.prepare('SELECT * FROM runs').all() as RunRow[]) {
      add({
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
        host: null,
        shard: null,
      });
    }
  } finally {
    db.close();
  }
}
