// Run claims: which worker runs which run (the paper's claims are claims.ts).
// Before a run starts, its worker creates <out>/claims/<run id>.claim
// exclusively (training/atomic.ts: atomic on NFS too),
// holding its host, boot id, pid and a token; while it works it touches the file
// (the heartbeat, the file's mtime) every few seconds. Another worker finding
// the claim leaves the run alone, unless the holder is dead (same host and boot,
// pid gone or reused) or silent longer than the timeout: then it takes the claim
// over and the run resumes from its checkpoint. A holder whose claim was taken
// (it was stopped or cut off longer than the timeout) sees that at its next
// heartbeat and stops the run without writing its result.
//
// Silence is judged from the file's mtime against this host's clock, so hosts'
// clocks must agree to well within the timeout (NTP does that on clusters).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createExclusive, writeFileAtomic } from '../training/atomic.js';

export interface ClaimInfo {
  host: string;
  /** The kernel's boot id and the pid namespace: one host name on two machines, a reboot, or another container
   *  (where pids mean other processes) is not the same host. */
  boot: string | null;
  pid: number;
  /** The process's start time (jiffies since boot, /proc), so a reused pid is not taken for the holder. */
  pidStart: string | null;
  token: string;
  since: string;
  /** What the holder is (e.g. 'shard 1/3, slurm job 12_1'), for status displays. */
  note?: string;
}

export type HolderState = 'alive' | 'dead' | 'silent';

export interface ClaimView {
  name: string;
  info: ClaimInfo | null;
  /** Last heartbeat (ms since epoch). */
  heartbeat: number;
  state: HolderState;
  /** The holder's latest progress report, if any. */
  progress: { done: number; total: number; note?: string; at: string } | null;
}

export interface ClaimOptions {
  /** A holder silent this long is taken over (default DPL_TORCH_CLAIM_TIMEOUT seconds, else 600 s). */
  timeoutMs?: number;
  /** Heartbeat period (default: a quarter of the timeout, at most 30 s). */
  heartbeatMs?: number;
  /** Said in the claim (see ClaimInfo.note). */
  note?: string;
}

/** DPL_TORCH_CLAIM_TIMEOUT (seconds) or 600 s. */
export function defaultClaimTimeoutMs(): number {
  const v = process.env.DPL_TORCH_CLAIM_TIMEOUT;
  if (v === undefined || v === '') return 600_000;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0) throw new Error(`DPL_TORCH_CLAIM_TIMEOUT must be a positive number of seconds, got '${v}'`);
  return s * 1000;
}

function readOr(path: string, fallback: string | null): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

const BOOT = ((id) => id && `${id} ${pidNamespace() ?? ''}`.trim())(readOr('/proc/sys/kernel/random/boot_id', null));

/** Field 22 of /proc/<pid>/stat (start time), or null where there is no /proc. */
function processStart(pid: number): string | null {
  const stat = readOr(`/proc/${pid}/stat`, null);
  if (!stat) return null;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

function processAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // Alive, or another user's (EPERM): the same process unless its start time says it is a reused pid.
  const now = processStart(pid);
  return start === null || now === null || now === start;
}

function parseInfo(text: string | null): ClaimInfo | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as ClaimInfo;
    return typeof v.token === 'string' && typeof v.pid === 'number' ? v : null;
  } catch {
    return null;
  }
}

export class RunClaims {
  readonly timeoutMs: number;
  readonly heartbeatMs: number;
  private readonly me: Omit<ClaimInfo, 'token' | 'since'>;

  constructor(
    readonly dir: string,
    private readonly options: ClaimOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? defaultClaimTimeoutMs();
    this.heartbeatMs = options.heartbeatMs ?? Math.min(30_000, this.timeoutMs / 4);
    this.me = {
      host: hostname(),
      boot: BOOT,
      pid: process.pid,
      pidStart: processStart(process.pid),
      ...(options.note ? { note: options.note } : {}),
    };
    mkdirSync(dir, { recursive: true });
  }

  private path(name: string): string {
    return join(this.dir, `${name}.claim`);
  }

  /** Whether the holder of a claim with this info and heartbeat is alive, dead or silent, seen from here. */
  judge(info: ClaimInfo | null, heartbeat: number, now = Date.now()): HolderState {
    if (info && info.host === this.me.host && info.boot === this.me.boot && !processAlive(info.pid, info.pidStart)) return 'dead';
    return now - heartbeat > this.timeoutMs ? 'silent' : 'alive';
  }

  /** The claim on `name` as it stands, or undefined when nobody holds it. */
  read(name: string): ClaimView | undefined {
    const path = this.path(name);
    let heartbeat: number;
    try {
      heartbeat = statSync(path).mtimeMs;
    } catch {
      return undefined;
    }
    const info = parseInfo(readOr(path, null));
    const progress = readOr(join(this.dir, `${name}.progress`), null);
    let parsed: ClaimView['progress'] = null;
    try {
      parsed = progress ? (JSON.parse(progress) as ClaimView['progress']) : null;
    } catch {
      // a progress report is a hint; a bad one is no report
    }
    return { name, info, heartbeat, state: this.judge(info, heartbeat), progress: parsed };
  }

  /** Every claim in the folder. */
  list(): ClaimView[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.claim') && !f.startsWith('.'))
      .flatMap((f) => this.read(f.slice(0, -'.claim'.length)) ?? []);
  }

  /**
   * Claims `name` for this process. Returns the claim, or the live claim of
   * another holder. A dead or silent holder's claim is taken over: moved aside
   * under a private name (one taker wins the rename), checked to be the very
   * claim judged stale, and removed; if it was not (its holder came back or
   * another worker re-claimed meanwhile), it is put back.
   */
  tryClaim(name: string): RunClaim | { held: ClaimView } {
    let tookOver: ClaimView | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const info: ClaimInfo = { ...this.me, token: randomBytes(12).toString('hex'), since: new Date().toISOString() };
      if (createExclusive(this.path(name), JSON.stringify(info) + '\n')) {
        return new RunClaim(this.path(name), join(this.dir, `${name}.progress`), info, this.heartbeatMs, tookOver);
      }
      const held = this.read(name);
      if (!held) continue; // released meanwhile
      if (held.state === 'alive') return { held };
      const aside = join(this.dir, `.${name}.${info.token}.stale`);
      try {
        renameSync(this.path(name), aside);
      } catch {
        continue; // another worker moved it first
      }
      const moved = parseInfo(readOr(aside, null));
      const same = moved?.token === held.info?.token && this.judge(moved, statSync(aside).mtimeMs) !== 'alive';
      if (same) {
        rmSync(aside, { force: true });
        tookOver = held;
        continue;
      }
      try {
        createExclusive(this.path(name), readFileSync(aside, 'utf8'));
      } finally {
        rmSync(aside, { force: true });
      }
    }
    const held = this.read(name);
    if (held) return { held };
    throw new Error(`could not claim ${name} in ${this.dir} after 5 tries: other workers keep taking it`);
  }

  /**
   * Runs `fn` while holding `name`, waiting (polling) while another live worker
   * holds it: for one-time work that workers share, e.g. making data or exports.
   */
  async withLock<T>(name: string, fn: () => Promise<T>, onWait?: (held: ClaimView) => void, pollMs = 1000): Promise<T> {
    let said = false;
    for (;;) {
      const c = this.tryClaim(name);
      if (c instanceof RunClaim) {
        try {
          return await fn();
        } finally {
          c.release();
        }
      }
      if (!said) onWait?.(c.held);
      said = true;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** A claim this process holds: heartbeats until released; `lost` aborts when another worker took it. */
export class RunClaim {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private latest: { done: number; total: number; note?: string } | null = null;
  private released = false;

  constructor(
    readonly path: string,
    private readonly progressPath: string,
    readonly info: ClaimInfo,
    heartbeatMs: number,
    /** The dead or silent claim this one replaced. */
    readonly tookOver?: ClaimView,
  ) {
    this.timer = setInterval(() => this.beat(), heartbeatMs);
    this.timer.unref();
  }

  /** Aborted when the claim is found taken over. */
  get lost(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the claim file is still this one (false once it was taken over or removed). */
  stillMine(): boolean {
    return parseInfo(readOr(this.path, null))?.token === this.info.token;
  }

  /** The run's progress, written beside the claim at each heartbeat (for `slurm status`). */
  progress(done: number, total: number, note?: string): void {
    this.latest = { done, total, ...(note ? { note } : {}) };
  }

  private beat(): void {
    if (this.released) return;
    try {
      const now = new Date();
      utimesSync(this.path, now, now);
      if (!this.stillMine()) throw new Error('taken over');
      if (this.latest) writeFileAtomic(this.progressPath, JSON.stringify({ ...this.latest, at: now.toISOString() }));
    } catch {
      if (!this.stillMine()) {
        clearInterval(this.timer);
        this.controller.abort(new Error(`the claim ${this.path} was taken over by another worker`));
      }
    }
  }

  /** Stops the heartbeat and removes the claim (if it is still this one). */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    if (this.stillMine()) {
      rmSync(this.progressPath, { force: true });
      rmSync(this.path, { force: true });
    }
  }
}
