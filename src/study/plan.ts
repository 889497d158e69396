// Expands a study config into its runs, each with a stable id: the hash of the
// run's identity and of its resolved benchmark options (data paths left out, so
// moving the data or the output folder keeps the ids).
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { RunSpec } from '../benchmarks/benchmark.js';
import { STUDY_NETWORKS } from '../networks.js';
import { benchmarkConfigs, type StudyConfig } from './config.js';
import type { Scale } from './presets.js';
import { defaultDataDir, requireBenchmark, type Registry, type StudyBenchmark } from './registry.js';
import type { RunIdentity } from './store.js';

export interface PlannedRun {
  id: string;
  identity: RunIdentity;
  configHash: string;
  /** How the run's layers are used: recorded with the run, so the analysis tables it by its configuration's mode. */
  layerMode: 'together' | 'single';
  spec: RunSpec;
  entry: StudyBenchmark;
  /** The benchmark's data folder. */
  data: string;
  /** Whether the runner makes synthetic data there first (quick scales). */
  quickData: boolean;
}

/** JSON with sorted keys, so equal objects hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Replaces the data folder inside string options with a placeholder before hashing. */
function withoutPaths(options: Record<string, unknown>, data: string): unknown {
  return JSON.parse(JSON.stringify(options), (_k, v: unknown) => (typeof v === 'string' ? v.split(data).join('<data>') : v));
}

export function runId(identity: RunIdentity, configHash: string): string {
  const hash = sha(canonicalJson({ identity, configHash })).slice(0, 10);
  const layers = identity.layers.length ? `l${identity.layers.join('_')}` : 'pixel';
  return `${identity.benchmark}-${identity.network}-${layers}-${identity.variant}-r${identity.repetition}-${hash}`;
}

export function planRuns(config: StudyConfig, registry: Registry, scale: Scale, out: string): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const networks = config.networks === 'paper' ? Object.keys(STUDY_NETWORKS) : config.networks;
  for (const [name, bc] of Object.entries(benchmarkConfigs(config))) {
    const entry = requireBenchmark(registry, name);
    const data = bc!.data ? resolve(bc!.data) : scale === 'paper' ? defaultDataDir(name) : join(resolve(out), 'data', name);
    const base = scale === 'paper' ? entry.paperOptions(data) : entry.quickOptions(data);
    const quickData = scale !== 'paper' && !!entry.makeQuickData;
    const options = {
      ...base,
      ...(scale === 'tiny' ? entry.tinyOptions : {}),
      ...(entry.weightsOption ? { weights: config.weights } : {}),
      ...bc!.options,
    };
    const configHash = sha(canonicalJson({ options: withoutPaths(options, data), weights: config.weights })).slice(0, 16);
    const variants = bc!.variants ?? (scale === 'paper' ? entry.variants.paper : entry.variants.quick);
    const layerMode = bc!.layerMode ?? entry.layerMode;
    const repetitions = bc!.repetitions ?? config.repetitions;
    // The benchmark's baselines (the pixel-loss run) join its grid whatever the networks.
    const own = [...networks, ...(entry.baselines ?? []).filter((b) => !networks.includes(b))];
    for (const network of own) {
      const layerSets = network === 'pixel' ? [[]] : layersOf(config, network, layerMode);
      for (const variant of variants) {
        const reps = entry.deterministicVariants?.includes(variant) ? 1 : repetitions;
        for (const layers of layerSets) {
          for (let repetition = 0; repetition < reps; repetition++) {
            const seed = config.seeds?.[repetition] ?? config.seed + repetition;
            const identity: RunIdentity = { benchmark: name, network, layers, variant, repetition, seed };
            const spec: RunSpec = { ...identity, benchmark: entry.benchmark.name, options };
            runs.push({ id: runId(identity, configHash), identity, configHash, layerMode, spec, entry, data, quickData });
          }
        }
      }
    }
  }
  if (!Object.keys(benchmarkConfigs(config)).length) {
    throw new Error(`no benchmark to run: this dpl-torch implements ${Object.keys(registry).join(', ') || 'none yet'}`);
  }
  const seen = new Set<string>();
  return runs.filter((r) => !seen.has(r.id) && seen.add(r.id));
}

function layersOf(config: StudyConfig, network: string, mode: 'together' | 'single'): number[][] {
  const layers = config.layers !== 'paper' && config.layers[network] ? config.layers[network] : STUDY_NETWORKS[network]?.layers;
  if (!layers) {
    throw new TypeError(`invalid study config: layers.${network}: ${network} has no study layers; give its layer indices explicitly`);
  }
  return mode === 'together' ? [[...layers]] : layers.map((l) => [l]);
}
