// The Study API: a preset or config, a device and an output folder; run()
// resumes where the last run stopped (several workers may run one folder, or
// one shard each); results(), analysis() and report() read the store in
// <out>/results/; submit() and status() hand the study to Slurm and watch it.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DeviceChoice, resolveDevice } from '../device.js';
import { parseOptions } from '../validate.js';
import { analyse, type AnalyseOptions, type Analysis } from './analysis.js';
import { parseStudyConfig, readStudyConfig, type StudyConfig, type StudyConfigInput } from './config.js';
import { planRuns, type PlannedRun } from './plan.js';
import { preset as makePreset, PRESET_NAMES, type PresetName, type Scale } from './presets.js';
import { defaultRegistry, type Registry } from './registry.js';
import { recommend, type Recommendation, type RecommendOptions } from './recommend.js';
import { writeReport, type ReportFiles } from './report.js';
import { RunClaims } from './run-claims.js';
import { writeFileAtomic } from '../training/atomic.js';
import { runPlanned, type RunSummary, type StudyEvent } from './runner.js';
import { parseShard, selectShard, shardLabel, type Shard } from './shards.js';
import { slurmDir, studyName, submitArray, type SlurmOptions, type SlurmSubmission } from './slurm.js';
import { studyStatus, type StudyStatus } from './status.js';
import { hasResults, ResultsStore, type RunRecord } from './store.js';

const StudyOptions = z.strictObject({
  /** A ready-made study (default 'quick' when no config is given). */
  preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]).optional(),
  /** A config object or the path of a JSON/YAML file; it replaces the preset's grid. */
  config: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  /** Benchmark options start from this scale with a config (default: the preset's, or 'paper'). */
  scale: z.enum(['paper', 'quick', 'tiny']).optional(),
  device: DeviceChoice.optional(),
  out: z.string().min(1).optional(),
  /** Run only these benchmarks / networks of the grid. */
  only: z.array(z.string()).min(1).optional(),
  networks: z.array(z.string()).min(1).optional(),
  /** The benchmarks (default: those implemented in this dpl-torch). */
  registry: z.custom<Registry>((v) => typeof v === 'object' && v !== null).optional(),
  /** Seconds after which a silent worker's run is taken over (default DPL_TORCH_CLAIM_TIMEOUT, else 600). */
  claimTimeout: z.number().positive().optional(),
});
export type StudyOptions = z.input<typeof StudyOptions>;

export interface StudyEvents {
  progress: [StudyEvent];
}

export class Study extends EventEmitter<StudyEvents> {
  readonly out: string;
  private readonly options: z.output<typeof StudyOptions>;
  private resolved?: { config: StudyConfig; scale: Scale; registry: Registry };

  constructor(options: StudyOptions = {}) {
    super();
    this.options = parseOptions(StudyOptions, options, 'Study options');
    const fromFile = typeof this.options.config === 'string' ? readStudyConfig(this.options.config) : undefined;
    const out =
      this.options.out ??
      fromFile?.out ??
      (this.options.config && typeof this.options.config === 'object' ? (this.options.config.out as string | undefined) : undefined);
    this.out = resolve(out ?? join('runs', this.options.preset ?? (this.options.config ? 'study' : 'quick')));
  }

  /** The folder of result records (one JSON file per run). */
  get storePath(): string {
    return join(this.out, 'results');
  }

  /** The effective config (preset or file, then device/only/networks applied) and the options scale. */
  async config(): Promise<{ config: StudyConfig; scale: Scale; registry: Registry }> {
    if (this.resolved) return this.resolved;
    const o = this.options;
    const registry = o.registry ?? (await defaultRegistry());
    let input: StudyConfigInput;
    let scale: Scale;
    if (o.config !== undefined) {
      input = typeof o.config === 'string' ? (readStudyConfig(o.config) as StudyConfigInput) : (o.config as StudyConfigInput);
      scale = o.scale ?? (input as { scale?: Scale }).scale ?? (o.preset ? makePreset(o.preset, registry).scale : 'paper');
    } else {
      const p = makePreset(o.preset ?? 'quick', registry);
      input = p.config;
      scale = o.scale ?? p.scale;
    }
    const config = parseStudyConfig({ ...input, ...(o.device ? { device: o.device } : {}) }, 'study config');
    if (o.only) {
      const all = Array.isArray(config.benchmarks) ? config.benchmarks : Object.keys(config.benchmarks);
      const unknown = o.only.filter((b) => !all.includes(b as never));
      if (unknown.length) throw new Error(`--only ${unknown.join(',')}: not in this study's benchmarks (${all.join(', ')})`);
      config.benchmarks = Array.isArray(config.benchmarks)
        ? config.benchmarks.filter((b) => o.only!.includes(b))
        : Object.fromEntries(Object.entries(config.benchmarks).filter(([b]) => o.only!.includes(b)));
    }
    if (o.networks) config.networks = parseStudyConfig({ benchmarks: ['similarity'], networks: o.networks }, 'networks').networks;
    this.resolved = { config, scale, registry };
    return this.resolved;
  }

  /** The grid's runs, with their ids. */
  async plan(): Promise<PlannedRun[]> {
    const { config, scale, registry } = await this.config();
    return planRuns(config, registry, scale, this.out);
  }

  /**
   * Runs every run of the grid (or of one shard of it: 'i/n') not yet done
   * (failed and interrupted ones again), leaving runs other live workers hold
   * to them. Rejects with StudyInterrupted when `signal` aborts; run() again to resume.
   */
  async run(options: { signal?: AbortSignal; shard?: Shard | string } = {}): Promise<RunSummary> {
    const { config } = await this.config();
    // Before any run starts: an unusable device fails the study once, not every run.
    const device = resolveDevice(config.device);
    const full = await this.plan();
    const shard = typeof options.shard === 'string' ? parseShard(options.shard) : options.shard;
    const plan = shard ? selectShard(full, shard) : full;
    const store = new ResultsStore(this.out);
    store.setMeta('config', config);
    const slurmTask = process.env.SLURM_ARRAY_JOB_ID
      ? `slurm job ${process.env.SLURM_ARRAY_JOB_ID}_${process.env.SLURM_ARRAY_TASK_ID}`
      : process.env.SLURM_JOB_ID
        ? `slurm job ${process.env.SLURM_JOB_ID}`
        : undefined;
    const note = [shard && `shard ${shardLabel(shard)}`, slurmTask].filter(Boolean).join(', ');
    return runPlanned(plan, {
      store,
      out: this.out,
      device,
      modelsDir: config.modelsDir,
      weights: config.weights,
      seed: config.seed,
      signal: options.signal ?? new AbortController().signal,
      emit: (e) => this.emit('progress', e),
      claims: {
        timeoutMs: this.options.claimTimeout === undefined ? undefined : this.options.claimTimeout * 1000,
        ...(note ? { note } : {}),
      },
      shard: shard ? { label: shardLabel(shard), planTotal: full.length } : undefined,
    });
  }

  /**
   * Submits the study to Slurm as a job array of `array` shards (only those with
   * runs not done and no task queued), and a job that writes the report after
   * it. The tasks run the CLI on a frozen copy of this study's config,
   * <out>/slurm/study.json. `dryRun` writes the scripts and submits nothing.
   */
  async submit(options: SlurmOptions = {}): Promise<SlurmSubmission> {
    if (this.options.registry)
      throw new Error('a Study with its own registry cannot be submitted: the Slurm tasks run the CLI, with the built-in benchmarks');
    const { config, scale } = await this.config();
    const plan = await this.plan();
    const studyFile = join(slurmDir(this.out), 'study.json');
    mkdirSync(slurmDir(this.out), { recursive: true });
    // Absolute paths, so that the file plans the same runs from any folder.
    const benchmarks = Array.isArray(config.benchmarks)
      ? config.benchmarks
      : Object.fromEntries(Object.entries(config.benchmarks).map(([b, c]) => [b, c?.data ? { ...c, data: resolve(c.data) } : c]));
    const frozen = { ...config, benchmarks, scale, out: this.out, ...(config.modelsDir ? { modelsDir: resolve(config.modelsDir) } : {}) };
    writeFileAtomic(studyFile, JSON.stringify(frozen, null, 2) + '\n');
    // The tasks plan from that file: it must give them this very plan.
    const theirs = (await new Study({ config: studyFile, out: this.out }).plan()).map((r) => r.id);
    if (theirs.join() !== plan.map((r) => r.id).join())
      throw new Error(`internal error: ${studyFile} plans other runs than this study; please report this`);
    return submitArray({ out: this.out, studyFile, name: studyName(this.out), plan, store: new ResultsStore(this.out), options });
  }

  /** Each run's state (done, running where and how far, stalled, failed, pending) and, when submitted, the Slurm queue. */
  async status(options: { queue?: boolean } = {}): Promise<StudyStatus> {
    return studyStatus(this.out, await this.plan(), new ResultsStore(this.out), options);
  }

  /** Every run recorded in the store (all statuses). */
  results(): RunRecord[] {
    return readResults(this.out);
  }

  /** The analysis; `primary` picks the configurations of the summaries across benchmarks (ids or config-hash prefixes). */
  analysis(options: AnalyseOptions = {}): Analysis {
    return analyse(this.results(), options);
  }

  /** Writes report.html, summary.md, results.csv/json and analysis.json into the output folder. */
  async report(options: AnalyseOptions = {}): Promise<ReportFiles> {
    // One writer at a time: workers sharing the folder may finish together.
    return new RunClaims(join(this.out, 'claims')).withLock('report', () => writeReport(this.out, options));
  }

  /**
   * The best (network, layer) for a task from this study's measured results, the cells not significantly worse,
   * and with `budgetMs` the best whose loss step fits it on this machine (device: the study's, else cpu).
   * Without results, `toRun` says what to run.
   */
  async recommend(options: Omit<RecommendOptions, 'results'>): Promise<Recommendation> {
    return recommend({ ...options, device: options.device ?? this.options.device, results: this.out });
  }

  /** The study a Slurm submission froze into <dir>/slurm/study.json, to watch or resubmit it. */
  static submitted(dir: string): Study {
    const file = join(resolve(dir), 'slurm', 'study.json');
    if (!existsSync(file))
      throw new Error(
        `no Slurm submission in ${resolve(dir)} (no slurm/study.json); submit with \`npx dpl-torch slurm submit ... --out ${dir}\``,
      );
    return new Study({ config: file, out: dir });
  }
}

/** The runs stored in a study folder, or an error naming the folder when there is no store. */
export function readResults(out: string): RunRecord[] {
  const dir = resolve(out);
  if (!hasResults(dir)) {
    throw new Error(`no study results in ${dir} (no results/ folder); run \`npx dpl-torch run --out ${out}\` first`);
  }
  return new ResultsStore(dir).runs();
}
