// Shards: `run --shard i/n` runs slice i (0-based, as Slurm's array task ids) of
// n of the plan. Every worker computes the same slices from the same plan, with
// no coordination: runs go, most expensive first (cost.ts), each to the shard
// with the least expected work so far (ties: the lower index; equal costs: the
// smaller id). That greedy rule keeps the busiest and the idlest shard within
// one run's cost of each other; counting runs alone would not, since runs
// differ in cost by orders of magnitude (a baseline evaluation against a
// vgg19 training).
import type { PlannedRun } from './plan.js';
import { runCost } from './cost.js';

export interface Shard {
  /** 0 .. count-1 */
  index: number;
  count: number;
}

export const shardLabel = (s: Shard): string => `${s.index}/${s.count}`;

/** 'i/n' with 0 <= i < n, or an error saying what is expected. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new Error(`--shard must be i/n with 0 <= i < n (e.g. 0/4 ... 3/4, as Slurm's array task ids), got '${text}'`);
  }
  return { index, count };
}

export interface ShardAssignment {
  /** Shard index by run id. */
  of: Map<string, number>;
  /** Each shard's expected cost. */
  load: number[];
}

/** Splits costed items into `count` shards (see the top of this file). */
export function balance(items: { id: string; cost: number }[], count: number): ShardAssignment {
  if (!Number.isInteger(count) || count < 1) throw new Error(`the number of shards must be a positive integer, got ${count}`);
  const costed = [...items];
  costed.sort((a, b) => b.cost - a.cost || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const of = new Map<string, number>();
  for (const r of costed) {
    let best = 0;
    for (let i = 1; i < count; i++) if (load[i]! < load[best]!) best = i;
    load[best]! += r.cost;
    of.set(r.id, best);
  }
  return { of, load };
}

/** The shard of each run of the plan, for `count` shards. */
export const assignShards = (plan: PlannedRun[], count: number): ShardAssignment =>
  balance(
    plan.map((r) => ({ id: r.id, cost: runCost(r) })),
    count,
  );

/** The runs of one shard, in plan order. */
export function selectShard(plan: PlannedRun[], shard: Shard): PlannedRun[] {
  const { of } = assignShards(plan, shard.count);
  return plan.filter((r) => of.get(r.id) === shard.index);
}
