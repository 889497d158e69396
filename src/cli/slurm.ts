// `dpl-torch slurm submit|status`: the study as a Slurm job array (src/study/slurm.ts).
import { parseArgs } from 'node:util';
import { RUN_STATES, type StudyStatus } from '../study/status.js';
import { Study } from '../study/study.js';
import type { Command } from './command.js';
import { sameCommand } from './interrupt.js';
import { STUDY_USAGE, studyArgOptions, studyFromArgs } from './study-args.js';

const USAGE =
  `submit ${STUDY_USAGE} --array N [--partition P] [--gres gpu:1] [--time T] [--cpus-per-task C] [--mem M] [--account A] [--dry-run] [--no-report]\n` +
  '       dpl-torch slurm status DIR [--json]\n\n' +
  'submit: writes DIR/slurm/array.sbatch (task i runs `dpl-torch run --shard i/N`) and submits it, with a job that\n' +
  '  writes the report after it. Submitting again submits only the shards with runs left and no task in the queue\n' +
  "  (--array defaults to the previous submission's). --dry-run writes and shows the scripts, submits nothing.\n" +
  'status: each run (done, running on which host and how far, stalled, failed, pending) and the tasks in the\n' +
  '  queue (squeue, sacct).';

async function submit(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...studyArgOptions,
      array: { type: 'string' },
      partition: { type: 'string' },
      gres: { type: 'string' },
      time: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      mem: { type: 'string' },
      account: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'no-report': { type: 'boolean', default: false },
    },
  });
  const positive = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const study = studyFromArgs(values, positionals);
  const s = await study.submit({
    array: positive(values.array, 'array'),
    partition: values.partition,
    gres: values.gres,
    time: values.time,
    cpusPerTask: positive(values['cpus-per-task'], 'cpus-per-task'),
    mem: values.mem,
    account: values.account,
    dryRun: values['dry-run'],
    report: !values['no-report'],
  });
  if (s.dryRun && s.script) {
    console.log(`# ${s.scriptPath}\n${s.script}`);
    if (s.reportScript) console.log(`# ${s.reportScriptPath}\n${s.reportScript}`);
    console.log(`# commands:\n${s.commands.join('\n')}`);
  }
  console.error(s.message);
  if (!s.dryRun) {
    console.error(
      `results: ${study.storePath} (one file per run); logs: ${study.out}/slurm/logs/\n` +
        `watch: npx dpl-torch slurm status ${study.out}\nfinish what is missing (after failures or time limits): ${sameCommand('slurm', ['submit', ...args])}`,
    );
  }
  return 0;
}

function progressText(p: { done: number; total: number; note?: string } | null): string {
  return p ? ` ${p.total ? Math.round((100 * p.done) / p.total) : 0}% (${p.done}/${p.total}${p.note ? ` ${p.note}` : ''})` : '';
}

export function formatStatus(st: StudyStatus): string {
  const lines: string[] = [];
  const counts = RUN_STATES.filter((s) => st.counts[s])
    .map((s) => `${st.counts[s]} ${s}`)
    .join(', ');
  lines.push(`study ${st.out}: ${st.total} runs${st.shards ? ` in ${st.shards} shards` : ''}: ${counts || 'none'}`);
  if (st.hosts.length) lines.push(`hosts: ${st.hosts.join(', ')}`);
  if (st.shards) {
    for (let i = 0; i < st.shards; i++) {
      const mine = st.runs.filter((r) => r.shard === i);
      const tasks = (st.tasks ?? [])
        .filter((t) => t.task === i)
        .map((t) => `${t.jobId}_${t.task} ${t.state}${t.node ? ` on ${t.node}` : ''}${t.detail ? ` (${t.detail})` : ''}`);
      lines.push(
        `shard ${i}/${st.shards}: ${mine.filter((r) => r.state === 'done').length}/${mine.length} done${tasks.length ? `; tasks: ${tasks.join(', ')}` : ''}`,
      );
    }
  }
  const report = (st.tasks ?? []).filter((t) => t.task === null);
  if (report.length) lines.push(`report job: ${report.map((t) => `${t.jobId} ${t.state}`).join(', ')}`);
  lines.push('runs:');
  for (const r of st.runs) {
    const where = r.holder ? ` ${r.holder}` : r.host ? ` on ${r.host}` : '';
    const score = r.score !== null ? ` score ${r.score.toFixed(4)}` : '';
    const error = r.error && r.state === 'failed' ? `: ${r.error.split('\n')[0]}` : '';
    lines.push(`  ${r.id}${r.shard !== null ? ` [shard ${r.shard}]` : ''} ${r.state}${where}${progressText(r.progress)}${score}${error}`);
  }
  for (const p of st.problems) lines.push(`note: ${p}`);
  if (st.counts.stalled)
    lines.push(
      `${st.counts.stalled} stalled run(s): their worker died or went silent; submitting again (or any \`run\` on this folder) takes them over from their checkpoints.`,
    );
  return lines.join('\n');
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new Error('give the study folder: dpl-torch slurm status DIR (the --out of `slurm submit`)');
  const st = await Study.submitted(positionals[0]!).status();
  console.log(values.json ? JSON.stringify(st, null, 2) : formatStatus(st));
  return 0;
}

export const slurmCommand: Command = {
  summary: 'run the study as a Slurm job array (submit), and watch it (status)',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'submit') return submit(rest);
    if (sub === 'status') return status(rest);
    throw new Error(
      `dpl-torch slurm: expected 'submit' or 'status', got ${sub === undefined ? 'nothing' : `'${sub}'`}; see dpl-torch slurm --help`,
    );
  },
};
