// `dpl-torch slurm` on a real single-node Slurm (test/helpers/slurm.ts): a small
// study (tiny quick scale, similarity) submitted as an array of 3 tasks; one
// task's process is killed mid-run; `slurm status` shows the stalled run; the
// same submit command then submits only that task's shard; the merged results
// equal those of a single-machine `run` of the same study, run for run, metric
// for metric, and the report says which hosts and shards made them.
// Also, without Slurm: --dry-run writes and shows the scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunClaims } from '../src/study/run-claims.js';
import { queue, readSubmissions, type SlurmTask } from '../src/study/slurm.js';
import { ResultsStore } from '../src/study/store.js';
import { ensureDist, MAIN, startNode, waitFor } from './helpers/cli.js';
import { TEST_MODELS } from './helpers/models.js';
import { startLocalSlurm, type LocalSlurm } from './helpers/slurm.js';

const env = { ...process.env, DPL_TORCH_QUICK_SCALE: 'tiny', DPL_TORCH_MODELS: TEST_MODELS };
const cli = (args: string[], more: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { env: { ...env, ...more }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, all: `${r.stdout}\n${r.stderr}` };
};

beforeAll(ensureDist);

describe('slurm submit --dry-run', () => {
  it('writes the array and report scripts, shows them and submits nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'dpl-slurm-dry-'));
    const r = cli([
      'slurm',
      'submit',
      '--only',
      'similarity',
      '--array',
      '3',
      '--partition',
      'gpu',
      '--gres',
      'gpu:1',
      '--time',
      '02:00:00',
      '--dry-run',
      '--out',
      out,
    ]);
    expect(r.code, r.all).toBe(0);
    const script = readFileSync(join(out, 'slurm', 'array.sbatch'), 'utf8');
    expect(r.out).toContain(script);
    for (const line of [
      '#SBATCH --array=0-2',
      '#SBATCH --partition=gpu',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --time=02:00:00',
      `#SBATCH --output=${out}/slurm/logs/%A_%a.out`,
      'export DPL_TORCH_QUICK_SCALE=tiny',
    ]) {
      expect(script).toContain(line);
    }
    expect(script).toMatch(new RegExp(`run ${out}/slurm/study.json --out ${out} --shard "\\$\\{SLURM_ARRAY_TASK_ID\\}/3" --no-report\\n$`));
    const report = readFileSync(join(out, 'slurm', 'report.sbatch'), 'utf8');
    expect(report).toMatch(/report \S+\n$/);
    expect(report).not.toContain('--gres');
    expect(spawnSync('bash', ['-n', join(out, 'slurm', 'array.sbatch')]).status).toBe(0);
    expect(r.err).toMatch(/dry run: would submit 3 of 3 shards \(array 0-2\), 6 of 6 runs not done/);
    // the frozen study plans the same runs
    const study = JSON.parse(readFileSync(join(out, 'slurm', 'study.json'), 'utf8')) as { scale: string; benchmarks: unknown };
    expect(study.scale).toBe('tiny');
    expect(existsSync(join(out, 'slurm', 'submissions.json'))).toBe(false);
    expect(cli(['slurm', 'submit', '--dry-run', '--out', out]).all).toMatch(/--array N/);
  });
});

describe('slurm on a real single-node cluster', () => {
  let cluster: LocalSlurm | { skip: string } | undefined;
  const jobs: string[] = [];
  beforeAll(async () => {
    cluster = await startLocalSlurm(3);
    if ('env' in cluster) process.env.SLURM_CONF = cluster.env.SLURM_CONF; // for queue() here
  }, 900_000);
  afterAll(async () => {
    if (cluster && 'stop' in cluster) {
      if (jobs.length) spawnSync('scancel', jobs, { env: { ...process.env, ...cluster.env } });
      await cluster.stop();
    }
    delete process.env.SLURM_CONF;
  });

  const tasksOf = (ids: string[]): SlurmTask[] => queue(ids).tasks;
  const active = (ids: string[]) => tasksOf(ids).filter((t) => ['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING'].includes(t.state));

  it('runs the array, survives a killed task, resubmits only its shard, and equals a single-machine run', async (ctx) => {
    if (!cluster || 'skip' in cluster) {
      console.warn(`SKIPPED the Slurm test: ${cluster ? cluster.skip : 'no cluster'}`);
      return ctx.skip();
    }
    const slurmEnv = { ...cluster.env, DPL_TORCH_CLAIM_TIMEOUT: '120' };
    const reference = mkdtempSync(join(tmpdir(), 'dpl-slurm-ref-'));
    const out = mkdtempSync(join(tmpdir(), 'dpl-slurm-out-'));
    const submit = ['slurm', 'submit', '--only', 'similarity', '--array', '3', '--time', '00:30:00', '--out', out];

    const first = cli(submit, slurmEnv);
    expect(first.code, first.all).toBe(0);
    expect(first.err).toMatch(/submitted job \d+: 3 of 3 shards \(array 0-2\), 6 of 6 runs not done; the report job \d+ runs after it/);
    jobs.push(...readSubmissions(out).flatMap((s) => [s.jobId, s.reportJobId!]));

    // The single-machine run of the same study, meanwhile.
    const single = startNode(MAIN, ['run', '--only', 'similarity', '--no-report', '--out', reference], env);

    // Kill one task's process while it holds a training run (lin: checkpoint, dropout stream) that it has started.
    const claims = new RunClaims(join(out, 'claims'));
    const store = new ResultsStore(out);
    let victim: { run: string; pid: number; shard: number } | undefined;
    await waitFor(
      () => {
        const c = claims
          .list()
          .find((x) => x.info?.note?.includes('slurm job') && x.name.includes('-lin-') && store.get(x.name)?.status === 'running');
        if (c) victim = { run: c.name, pid: c.info!.pid, shard: Number(/shard (\d+)\/3/.exec(c.info!.note!)![1]) };
        return !!victim;
      },
      300_000,
      'a task to start a run',
    );
    process.kill(victim!.pid, 'SIGKILL');
    const arrayJob = jobs[0]!;
    await waitFor(() => !active([arrayJob]).some((t) => t.task === victim!.shard), 120_000, 'the killed task to leave the queue');

    const stalled = cli(['slurm', 'status', out], slurmEnv);
    expect(stalled.code, stalled.all).toBe(0);
    console.log(`after killing pid ${victim!.pid}:\n${stalled.out}`);
    expect(stalled.out).toMatch(new RegExp(`${victim!.run} \\[shard ${victim!.shard}\\] stalled .*pid ${victim!.pid}`));
    expect(stalled.out).toMatch(/^study .*: 6 runs in 3 shards: /m);
    expect(stalled.out).toMatch(new RegExp(`shard ${victim!.shard}/3: .*tasks: ${arrayJob}_${victim!.shard} FAILED`));

    // The same command again: only the killed task's shard (the others are done or still running).
    const again = cli(submit, slurmEnv);
    expect(again.code, again.all).toBe(0);
    expect(again.err).toMatch(new RegExp(`submitted job \\d+: 1 of 3 shards \\(array ${victim!.shard}\\)`));
    jobs.push(
      ...readSubmissions(out)
        .slice(1)
        .flatMap((s) => [s.jobId, s.reportJobId!]),
    );
    await waitFor(() => active(jobs).length === 0, 600_000, 'every job to end');
    expect(await single.exit, single.output()).toBe(0);

    const merged = store.runs();
    const alone = new ResultsStore(reference).runs();
    expect(merged.map((r) => r.id)).toEqual(alone.map((r) => r.id));
    expect(merged.every((r) => r.status === 'done')).toBe(true);
    for (const [i, r] of merged.entries()) expect(r.metrics, r.id).toEqual(alone[i]!.metrics);
    expect(merged.find((r) => r.id === victim!.run)!.attempts).toBe(2);
    // The resubmitted task took the dead task's claim over (the log of its task in <out>/slurm/logs).
    const log = readFileSync(join(out, 'slurm', 'logs', `${readSubmissions(out)[1]!.jobId}_${victim!.shard}.out`), 'utf8');
    expect(log).toMatch(new RegExp(`taking over ${victim!.run} from \\S+ pid ${victim!.pid} .*\\(dead\\)`));
    expect(new Set(merged.map((r) => r.shard))).toEqual(new Set(['0/3', '1/3', '2/3']));
    expect(new Set(merged.map((r) => r.host))).toEqual(new Set([hostname()]));

    // The report job of the resubmission wrote the report, naming hosts and shards.
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain(`The 6 finished runs came from 1 host (${hostname()}) and 3 shards (0/3, 1/3, 2/3).`);
    const done = cli(['slurm', 'status', out], slurmEnv);
    console.log(`at the end:\n${done.out}`);
    expect(done.out).toMatch(/: 6 runs in 3 shards: 6 done$/m);
    expect(cli(submit, slurmEnv).err).toMatch(/nothing to submit: all 6 runs are done/);
  });
});
