// The study on Slurm: a job array whose task i runs `dpl-torch run --shard i/N`
// on a frozen copy of the study (<out>/slurm/study.json), and a small job after
// it that writes the report. dpl-torch schedules nothing itself: Slurm places
// the tasks, the claims keep two tasks off one run, and the file store merges
// what every host wrote. Submitting again submits only the shards that still
// have runs not done and no task in the queue.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../training/atomic.js';
import type { PlannedRun } from './plan.js';
import { assignShards } from './shards.js';
import type { ResultsStore } from './store.js';

export interface SlurmOptions {
  /** Tasks in the array = shards of the plan (default: the previous submission's). */
  array?: number;
  partition?: string;
  /** e.g. 'gpu:1' */
  gres?: string;
  /** Time limit per task, in Slurm's format (e.g. '24:00:00', '2-00:00:00'). */
  time?: string;
  cpusPerTask?: number;
  /** Memory per task, e.g. '32G'. */
  mem?: string;
  account?: string;
  /** Write the scripts and show them, submit nothing. */
  dryRun?: boolean;
  /** Submit a job that writes the report once the array ends (default true). */
  report?: boolean;
}

export interface SlurmSubmission {
  dryRun: boolean;
  /** Shards of the plan (tasks of a full array). */
  shards: number;
  /** The shards submitted now: those with runs not done and no task queued or running. */
  indices: number[];
  scriptPath: string;
  script: string;
  reportScriptPath: string | null;
  reportScript: string | null;
  /** The sbatch command lines (run, or to run). */
  commands: string[];
  jobId: string | null;
  reportJobId: string | null;
  /** What happened, in a sentence or two. */
  message: string;
}

/** One submission, as kept in <out>/slurm/submissions.json. */
export interface SubmissionRecord {
  at: string;
  jobId: string;
  reportJobId: string | null;
  shards: number;
  indices: number[];
}

/** One array task as the queue or the accounting sees it. */
export interface SlurmTask {
  jobId: string;
  /** The array task id (= shard index), or null for a job that is no array task. */
  task: number | null;
  state: string;
  node: string;
  elapsed: string;
  /** squeue's reason (pending) or the exit code (finished), when known. */
  detail: string;
}

export const slurmDir = (out: string): string => join(out, 'slurm');
export const submissionsPath = (out: string): string => join(slurmDir(out), 'submissions.json');

export function readSubmissions(out: string): SubmissionRecord[] {
  const path = submissionsPath(out);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SubmissionRecord[]) : [];
}

/** '0-2,5,7-8' */
export function arraySpec(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

/** A POSIX-shell word. */
const sh = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** #SBATCH lines cannot quote: refuse values with spaces rather than cut them. */
function directive(name: string, value: string | number | undefined): string[] {
  if (value === undefined || value === '') return [];
  const v = String(value);
  if (/\s/.test(v))
    throw new Error(`--${name} '${v}' holds whitespace, which an #SBATCH line cannot carry; use a path or value without spaces`);
  return [`#SBATCH --${name}=${v}`];
}

/** The environment the tasks need from this shell: every DPL_TORCH_* variable set now. */
function environment(): string[] {
  return Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('DPL_TORCH_') && v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `export ${k}=${sh(v!)}`);
}

export interface ScriptInput {
  out: string;
  studyFile: string;
  name: string;
  shards: number;
  indices: number[];
  options: SlurmOptions;
  cwd?: string;
}

const cli = (): string[] => [process.execPath, join(packageRoot, 'dist', 'cli', 'main.js')];

/** The array job's script: task i runs shard i of `shards`. */
export function arrayScript(p: ScriptInput): string {
  const o = p.options;
  return [
    '#!/bin/bash',
    `# dpl-torch study '${p.name}': array task i runs shard i/${p.shards} of the plan in ${p.studyFile}.`,
    '# Written by `dpl-torch slurm submit`; submitting again submits only what is missing.',
    ...directive('job-name', `dpl-torch-${p.name}`),
    ...directive('array', arraySpec(p.indices)),
    ...directive('output', join(slurmDir(p.out), 'logs', '%A_%a.out')),
    ...directive('partition', o.partition),
    ...directive('gres', o.gres),
    ...directive('time', o.time),
    ...directive('cpus-per-task', o.cpusPerTask),
    ...directive('mem', o.mem),
    ...directive('account', o.account),
    'set -euo pipefail',
    `cd ${sh(p.cwd ?? process.cwd())}`,
    ...environment(),
    `exec ${[...cli(), 'run', p.studyFile, '--out', p.out].map(sh).join(' ')} --shard "\${SLURM_ARRAY_TASK_ID}/${p.shards}" --no-report`,
    '',
  ].join('\n');
}

/** The report job's script (submitted to start after the array, whatever its tasks' outcome). */
export function reportScript(p: ScriptInput): string {
  const o = p.options;
  return [
    '#!/bin/bash',
    `# dpl-torch study '${p.name}': writes the report once the array's tasks have ended.`,
    ...directive('job-name', `dpl-torch-${p.name}-report`),
    ...directive('output', join(slurmDir(p.out), 'logs', 'report-%j.out')),
    ...directive('partition', o.partition),
    ...directive('time', o.time),
    ...directive('account', o.account),
    'set -euo pipefail',
    `cd ${sh(p.cwd ?? process.cwd())}`,
    ...environment(),
    `exec ${[...cli(), 'report', p.out].map(sh).join(' ')}`,
    '',
  ].join('\n');
}

function slurmCommand(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ok: false,
      stdout: '',
      stderr: missing ? `${cmd} not found: run this on a Slurm login node (or one with slurm-client)` : r.error.message,
    };
  }
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.trim() };
}

/** Submits a script; returns the job id. */
function sbatch(args: string[]): string {
  const r = slurmCommand('sbatch', ['--parsable', ...args]);
  if (!r.ok) throw new Error(`sbatch ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout.trim().split(';')[0]!;
}

/** 'JOB_TASK' or 'JOB' -> parts */
function splitId(id: string): { jobId: string; task: number | null } {
  const m = /^(\d+)_(\d+)$/.exec(id);
  return m ? { jobId: m[1]!, task: Number(m[2]) } : { jobId: id, task: null };
}

/**
 * The tasks of these jobs: squeue for those queued or running, then sacct for
 * those that ended (or, where accounting is off, scontrol, which remembers
 * ended jobs for a few minutes). `problems` says what could not be asked.
 */
export function queue(jobIds: string[]): { tasks: SlurmTask[]; problems: string[] } {
  const problems: string[] = [];
  const tasks = new Map<string, SlurmTask>();
  if (!jobIds.length) return { tasks: [], problems };
  const key = (t: { jobId: string; task: number | null }) => `${t.jobId}_${t.task}`;
  const sq = slurmCommand('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T|%N|%M|%r']);
  if (sq.ok) {
    for (const line of sq.stdout.split('\n').filter(Boolean)) {
      const [id, state, node, elapsed, reason] = line.split('|');
      const t = {
        ...splitId(id!),
        state: state!,
        node: node ?? '',
        elapsed: elapsed ?? '',
        detail: reason === 'None' ? '' : (reason ?? ''),
      };
      tasks.set(key(t), t);
    }
  } else if (!/Invalid job id/i.test(sq.stderr)) {
    problems.push(`squeue: ${sq.stderr}`);
  }
  const add = (t: SlurmTask) => {
    if (!tasks.has(key(t))) tasks.set(key(t), t);
  };
  const sa = slurmCommand('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,NodeList,Elapsed,ExitCode']);
  if (sa.ok) {
    for (const line of sa.stdout.split('\n').filter(Boolean)) {
      const [id, state, node, elapsed, exit] = line.split('|');
      if (!/^\d+(_\d+)?$/.test(id!)) continue; // unexpanded pending ranges are squeue's
      add({ ...splitId(id!), state: state!.split(' ')[0]!, node: node ?? '', elapsed: elapsed ?? '', detail: `exit ${exit}` });
    }
  } else {
    problems.push(
      `sacct: ${sa.stderr || 'failed'}${/disabled/i.test(sa.stderr) ? ' (ended tasks are shown while scontrol remembers them)' : ''}`,
    );
    for (const id of jobIds) {
      const sc = slurmCommand('scontrol', ['-o', 'show', 'job', id]);
      if (!sc.ok) continue;
      for (const line of sc.stdout.split('\n').filter(Boolean)) {
        const f = Object.fromEntries(line.split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
        const task = f.ArrayTaskId !== undefined && /^\d+$/.test(f.ArrayTaskId) ? Number(f.ArrayTaskId) : null;
        add({
          jobId: f.ArrayJobId ?? f.JobId ?? id,
          task,
          state: f.JobState ?? '?',
          node: f.NodeList ?? '',
          elapsed: f.RunTime ?? '',
          detail: `exit ${f.ExitCode ?? '?'}`,
        });
      }
    }
  }
  const order = (t: SlurmTask) => `${t.jobId.padStart(12, '0')}_${String(t.task ?? -1).padStart(6, '0')}`;
  return { tasks: [...tasks.values()].sort((a, b) => order(a).localeCompare(order(b))), problems };
}

/** States in which a task still holds or waits for a place. */
export const ACTIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'SUSPENDED', 'STOPPED']);

/**
 * Writes the scripts and (unless dry-run) submits the array for the shards with
 * runs not done, skipping shards whose task of an earlier submission of the same
 * size is still queued or running; then the report job after it.
 */
export function submitArray(p: {
  out: string;
  studyFile: string;
  name: string;
  plan: PlannedRun[];
  store: ResultsStore;
  options: SlurmOptions;
}): SlurmSubmission {
  const prior = readSubmissions(p.out);
  const shards = p.options.array ?? prior.at(-1)?.shards;
  if (shards === undefined) throw new Error('give the number of array tasks (shards): --array N');
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`--array must be a positive integer, got ${shards}`);
  const { of } = assignShards(p.plan, shards);
  const notDone = p.plan.filter((r) => p.store.get(r.id)?.status !== 'done');
  const missing = new Set(notDone.map((r) => of.get(r.id)!));
  let active = new Set<number>();
  /** Earlier arrays still queued or running: the report waits for them too. */
  let activeJobs: string[] = [];
  if (!p.options.dryRun && missing.size && prior.length) {
    const q = queue(prior.map((s) => s.jobId));
    if (q.problems.some((x) => x.startsWith('squeue')))
      throw new Error(`cannot see the queue to avoid submitting a shard twice: ${q.problems.join('; ')}`);
    const live = q.tasks.filter((t) => ACTIVE_STATES.has(t.state));
    const sameSize = new Set(prior.filter((s) => s.shards === shards).map((s) => s.jobId));
    active = new Set(live.filter((t) => t.task !== null && sameSize.has(t.jobId)).map((t) => t.task!));
    activeJobs = [...new Set(live.map((t) => t.jobId))];
  }
  const indices = [...missing].filter((i) => !active.has(i)).sort((a, b) => a - b);
  const input: ScriptInput = { out: p.out, studyFile: p.studyFile, name: p.name, shards, indices, options: p.options };
  const dir = slurmDir(p.out);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const result: SlurmSubmission = {
    dryRun: p.options.dryRun === true,
    shards,
    indices,
    scriptPath: join(dir, 'array.sbatch'),
    script: '',
    reportScriptPath: null,
    reportScript: null,
    commands: [],
    jobId: null,
    reportJobId: null,
    message: '',
  };
  if (!indices.length) {
    result.message = !missing.size
      ? `nothing to submit: all ${p.plan.length} runs are done`
      : `nothing to submit: the shards with runs left (${arraySpec([...missing])}) have tasks queued or running; \`dpl-torch slurm status ${p.out}\` shows them`;
    return result;
  }
  result.script = arrayScript(input);
  writeFileAtomic(result.scriptPath, result.script);
  result.commands.push(`sbatch --parsable ${sh(result.scriptPath)}`);
  const withReport = p.options.report !== false;
  if (withReport) {
    result.reportScript = reportScript(input);
    result.reportScriptPath = join(dir, 'report.sbatch');
    writeFileAtomic(result.reportScriptPath, result.reportScript);
    result.commands.push(
      `sbatch --parsable --dependency=afterany:<array job id>[:<earlier array jobs still queued>] ${sh(result.reportScriptPath)}`,
    );
  }
  const what = `${indices.length} of ${shards} shards (array ${arraySpec(indices)}), ${notDone.length} of ${p.plan.length} runs not done`;
  if (result.dryRun) {
    result.message = `dry run: would submit ${what}`;
    return result;
  }
  result.jobId = sbatch([result.scriptPath]);
  if (withReport)
    result.reportJobId = sbatch([`--dependency=afterany:${[result.jobId, ...activeJobs].join(':')}`, result.reportScriptPath!]);
  writeFileAtomic(
    submissionsPath(p.out),
    JSON.stringify(
      [...prior, { at: new Date().toISOString(), jobId: result.jobId, reportJobId: result.reportJobId, shards, indices }],
      null,
      1,
    ) + '\n',
  );
  result.message = `submitted job ${result.jobId}: ${what}${result.reportJobId ? `; the report job ${result.reportJobId} runs after it` : ''}`;
  return result;
}

/** A job name part from the study's folder. */
export const studyName = (out: string): string => basename(out).replace(/[^\w.-]+/g, '_') || 'study';
