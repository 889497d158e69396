// Where a study stands, run by run: from the plan, the result records, the
// claims (who runs what now, with their last progress report) and, for a study
// submitted to Slurm, the queue.
import { join } from 'node:path';
import { RunClaims, type ClaimView } from './run-claims.js';
import type { PlannedRun } from './plan.js';
import { describeHolder } from './runner.js';
import { assignShards } from './shards.js';
import { queue, readSubmissions, type SlurmTask, type SubmissionRecord } from './slurm.js';
import type { ResultsStore } from './store.js';

/**
 * done; running (a live holder); stalled (its holder died or went silent, or it
 * was left 'running': the next worker to come takes it over); failed;
 * interrupted (Ctrl-C); pending (never started).
 */
export type RunState = 'done' | 'running' | 'stalled' | 'failed' | 'interrupted' | 'pending';
export const RUN_STATES: RunState[] = ['done', 'running', 'stalled', 'failed', 'interrupted', 'pending'];

export interface RunProgress {
  id: string;
  /** The run's shard under the latest submission's count, or null when the study was not submitted. */
  shard: number | null;
  state: RunState;
  /** Where it ran last (the record), or who holds it now. */
  host: string | null;
  holder: string | null;
  progress: { done: number; total: number; note?: string } | null;
  attempts: number;
  error: string | null;
  /** The primary metric of a done run. */
  score: number | null;
}

export interface StudyStatus {
  out: string;
  total: number;
  counts: Record<RunState, number>;
  /** Shards of the latest Slurm submission (null: none). */
  shards: number | null;
  hosts: string[];
  runs: RunProgress[];
  submissions: SubmissionRecord[];
  /** Tasks of every submission (null when the study was not submitted to Slurm). */
  tasks: SlurmTask[] | null;
  /** What could not be asked (e.g. sacct with accounting off). */
  problems: string[];
}

function stateOf(status: string | undefined, claim: ClaimView | undefined): RunState {
  if (status === 'done') return 'done';
  if (claim) return claim.state === 'alive' ? 'running' : 'stalled';
  if (status === 'running') return 'stalled';
  if (status === 'failed' || status === 'interrupted') return status;
  return 'pending';
}

export function studyStatus(out: string, plan: PlannedRun[], store: ResultsStore, options: { queue?: boolean } = {}): StudyStatus {
  const submissions = readSubmissions(out);
  const shards = submissions.at(-1)?.shards ?? null;
  const of = shards ? assignShards(plan, shards).of : null;
  const claims = new Map(new RunClaims(join(out, 'claims')).list().map((c) => [c.name, c]));
  const runs: RunProgress[] = plan.map((p) => {
    const r = store.get(p.id);
    const claim = claims.get(p.id);
    const state = stateOf(r?.status, claim);
    const live = state === 'running' || state === 'stalled';
    return {
      id: p.id,
      shard: of?.get(p.id) ?? null,
      state,
      host: r?.host ?? null,
      holder: live && claim ? describeHolder(claim) : null,
      progress:
        live && claim?.progress
          ? { done: claim.progress.done, total: claim.progress.total, ...(claim.progress.note ? { note: claim.progress.note } : {}) }
          : null,
      attempts: r?.attempts ?? 0,
      error: r?.error ?? null,
      score: r?.status === 'done' ? (r.metrics[r.primaryMetric] ?? null) : null,
    };
  });
  const counts = Object.fromEntries(RUN_STATES.map((s) => [s, runs.filter((r) => r.state === s).length])) as Record<RunState, number>;
  const hosts = [...new Set(runs.flatMap((r) => (r.host ? [r.host] : [])))].sort();
  let tasks: SlurmTask[] | null = null;
  const problems: string[] = [];
  if (submissions.length && options.queue !== false) {
    const q = queue(submissions.flatMap((s) => [s.jobId, ...(s.reportJobId ? [s.reportJobId] : [])]));
    tasks = q.tasks;
    problems.push(...q.problems);
  }
  return { out, total: plan.length, counts, shards, hosts, runs, submissions, tasks, problems };
}
