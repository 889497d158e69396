// Which configurations a results folder holds. Runs are repetitions of each
// other only when they share a configuration: the benchmark, its resolved
// options and weights policy (the run's config hash) and its layer mode. The
// analysis tables each configuration on its own; one configuration per
// benchmark (the user's choice, else the one with the most finished runs) enters
// the summaries across benchmarks and the claims.
import type { LayerMode } from './columns.js';
import type { RunRecord } from './store.js';

export interface Configuration {
  /** '<benchmark>/<first 8 hex of the config hash>/<layer mode>'. */
  id: string;
  benchmark: string;
  configHash: string;
  layerMode: LayerMode;
  variants: string[];
  /** Finished runs. */
  done: number;
  /** Options of its runs (the first run's). */
  options: Record<string, unknown>;
  /** Options whose values differ among this benchmark's configurations, flattened ('synthetic.size'). */
  differs: Record<string, unknown>;
  lastFinished: string | null;
  /** In the mean ranks, families, variance summary and claims. */
  primary: boolean;
}

/**
 * A run's layer mode: as the runner records it (options.layerMode), else, for
 * runs stored before it did, from the run's shape (several layers: together).
 */
export function layerModeOf(run: RunRecord): LayerMode {
  const recorded = run.options.layerMode;
  if (recorded === 'single' || recorded === 'together') return recorded;
  return run.layers.length > 1 ? 'together' : 'single';
}

export const configurationId = (run: RunRecord): string => `${run.benchmark}/${run.configHash.slice(0, 8)}/${layerModeOf(run)}`;

function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
  return out;
}

/** The configurations of finished runs; `chosen` (ids or config-hash prefixes) picks the primary ones. */
export function describeConfigurations(done: RunRecord[], chosen: string[] = []): Configuration[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of done) groups.set(configurationId(r), [...(groups.get(configurationId(r)) ?? []), r]);
  const configs: Configuration[] = [...groups].map(([id, rs]) => ({
    id,
    benchmark: rs[0]!.benchmark,
    configHash: rs[0]!.configHash,
    layerMode: layerModeOf(rs[0]!),
    variants: [...new Set(rs.map((r) => r.variant))].sort(),
    done: rs.length,
    options: rs[0]!.options,
    differs: {},
    lastFinished:
      rs
        .map((r) => r.finishedAt ?? '')
        .sort()
        .pop() || null,
    primary: false,
  }));
  const unknown = chosen.filter((c) => !configs.some((k) => matches(k, c)));
  if (unknown.length) {
    throw new Error(`no configuration ${unknown.join(', ')} in these results; they hold ${configs.map((c) => c.id).join(', ') || 'none'}`);
  }
  for (const benchmark of new Set(configs.map((c) => c.benchmark))) {
    const own = configs.filter((c) => c.benchmark === benchmark);
    const flat = own.map((c) => flatten({ ...c.options, layerMode: c.layerMode }));
    const keys = new Set(flat.flatMap((f) => Object.keys(f)));
    own.forEach((c, i) => {
      for (const k of keys) if (flat.some((f) => JSON.stringify(f[k]) !== JSON.stringify(flat[i]![k]))) c.differs[k] = flat[i]![k];
    });
    const picked = own.filter((c) => chosen.some((x) => matches(c, x)));
    if (picked.length > 1)
      throw new Error(`choose one configuration per benchmark; ${picked.map((c) => c.id).join(' and ')} are both ${benchmark}`);
    const primary =
      picked[0] ?? own.slice().sort((a, b) => b.done - a.done || (b.lastFinished ?? '').localeCompare(a.lastFinished ?? ''))[0]!;
    primary.primary = true;
  }
  return configs.sort(
    (a, b) => a.benchmark.localeCompare(b.benchmark) || Number(b.primary) - Number(a.primary) || a.id.localeCompare(b.id),
  );
}

const matches = (c: Configuration, wanted: string): boolean => c.id === wanted || (wanted.length >= 4 && c.configHash.startsWith(wanted));
