// The study configuration: which benchmarks, networks, layers, variants and
// repetitions to run, where, and with which benchmark settings. Read from JSON
// or YAML; every error names the bad field and what it accepts.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DeviceChoice } from '../device.js';
import { describeArchitecture, STUDY_NETWORK_NAMES } from '../networks.js';
import { parseOptions } from '../validate.js';

export const BENCHMARK_NAMES = ['similarity', 'super-resolution', 'delineation', 'autoencoder'] as const;
export const BenchmarkName = z.enum(BENCHMARK_NAMES);

const Architecture = z.string().refine((a) => a === 'pixel' || !!describeArchitecture(a), {
  message: `a torchvision architecture (${STUDY_NETWORK_NAMES.join(', ')}, or another known family), or 'pixel'`,
});

const Layers = z.array(z.number().int().nonnegative()).min(1, 'at least one layer index');

/** Settings of one benchmark in the study. Anything left out takes the preset's value. */
export const BenchmarkConfig = z.strictObject({
  /** Benchmark variants, e.g. similarity ['baseline','lin'], super-resolution ['x4']. */
  variants: z.array(z.string().min(1)).min(1).optional(),
  /** 'together': one run with all of a network's layers (similarity's study grid); 'single': one run per layer. */
  layerMode: z.enum(['together', 'single']).optional(),
  /** Repetitions for this benchmark (default: the study's). */
  repetitions: z.number().int().positive().optional(),
  /** The benchmark's data folder (default: its own default, or <out>/data in the quick preset). */
  data: z.string().min(1).optional(),
  /** Benchmark options overriding the preset's (epochs, sizes, batch...); the benchmark validates them. */
  options: z.record(z.string(), z.unknown()).optional(),
});
export type BenchmarkConfig = z.infer<typeof BenchmarkConfig>;

const BenchmarkList = z.array(BenchmarkName).min(1, 'at least one benchmark');
const BenchmarkMap = z.partialRecord(BenchmarkName, BenchmarkConfig);
type BenchmarkList = z.infer<typeof BenchmarkList>;
type BenchmarkMap = z.infer<typeof BenchmarkMap>;

export const StudyConfig = z.strictObject({
  /** A label for reports. */
  name: z.string().optional(),
  /** Benchmark names (preset settings) or a map of name to settings. */
  benchmarks: z.unknown().transform((value, ctx): BenchmarkList | BenchmarkMap => {
    // Checked by the form given, so errors name the field inside it (a union would only say "invalid input").
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'required: a list of benchmark names or a map of name to settings' });
      return z.NEVER;
    }
    const r = (Array.isArray(value) ? BenchmarkList : BenchmarkMap).safeParse(value);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }),
  /** Benchmark options start from the full-scale ('paper') or toy-scale ('quick', 'tiny') settings; default 'paper'. */
  scale: z.enum(['paper', 'quick', 'tiny']).optional(),
  /** Loss networks; 'paper' for the study's 14. */
  networks: z.union([z.literal('paper'), z.array(Architecture).min(1, 'at least one network')]).default('paper'),
  /** 'paper' (each network's 4 study layers) or, per network, explicit layer indices. */
  layers: z.union([z.literal('paper'), z.record(z.string(), Layers)]).default('paper'),
  repetitions: z.number().int().positive().default(1),
  /** One seed per repetition; default: seed + repetition. */
  seeds: z.array(z.number().int().nonnegative()).min(1).optional(),
  seed: z.number().int().nonnegative().default(0),
  /** 'auto' (CUDA when available), 'cpu', 'cuda' or 'cuda:N'. */
  device: DeviceChoice.default('cpu'),
  /** 'imagenet' refuses random-init loss networks; 'any' takes what is exported (and exports random ones if missing). */
  weights: z.enum(['imagenet', 'any']).default('imagenet'),
  /** Folder of TorchScript exports (default: models/torchscript or DPL_TORCH_MODELS). */
  modelsDir: z.string().optional(),
  /** Output folder: results/, claims/, runs/<id>/, report. */
  out: z.string().min(1).optional(),
});
export type StudyConfigInput = z.input<typeof StudyConfig>;
export type StudyConfig = z.output<typeof StudyConfig>;

/** Validates a config object; the error names each bad field. */
export function parseStudyConfig(value: unknown, what = 'study config'): StudyConfig {
  const config = parseOptions(StudyConfig, value, what);
  if (config.seeds && config.seeds.length < config.repetitions) {
    throw new TypeError(`invalid ${what}: seeds: needs one seed per repetition (${config.repetitions}), got ${config.seeds.length}`);
  }
  if (config.layers !== 'paper') {
    for (const [arch, layers] of Object.entries(config.layers)) {
      const d = describeArchitecture(arch);
      if (!d) throw new TypeError(`invalid ${what}: layers.${arch}: not a known architecture`);
      const bad = layers.find((l) => l >= d.children);
      if (bad !== undefined) throw new TypeError(`invalid ${what}: layers.${arch}: layer ${bad} is out of range (0..${d.children - 1})`);
    }
  }
  return config;
}

/** Reads a study config from a .json, .yaml or .yml file. */
export function readStudyConfig(path: string): StudyConfig {
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`${path} is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  return parseStudyConfig(value, `study config ${path}`);
}

/** The per-benchmark settings as a map, whichever form the config used. */
export function benchmarkConfigs(config: StudyConfig): Partial<Record<z.infer<typeof BenchmarkName>, BenchmarkConfig>> {
  return Array.isArray(config.benchmarks) ? Object.fromEntries(config.benchmarks.map((b) => [b, {}])) : config.benchmarks;
}
