// A real single-node Slurm for tests, without systemd: Debian's munge,
// slurmctld and slurmd started here in the foreground with their own key,
// socket, ports, state and spool folders under a temp folder, and stopped at
// the end. The recipe is the one checked in shared/design/facts.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGES = ['slurmctld', 'slurmd', 'slurm-client', 'munge'];
const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue', '/usr/bin/sinfo'];

export interface LocalSlurm {
  /** SLURM_CONF for sbatch, squeue, sacct, scontrol. */
  env: { SLURM_CONF: string };
  dir: string;
  stop(): Promise<void>;
}

/** Installs Slurm with apt where it is missing and we may; the reason when it cannot be had. */
function ensureInstalled(): string | null {
  if (BINARIES.every(existsSync)) return null;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    return `Slurm is not installed and this is no root Debian machine to install it (apt-get install ${PACKAGES.join(' ')}; .ci/run does)`;
  }
  console.log(`installing ${PACKAGES.join(' ')} with apt-get for the Slurm test`);
  const r = spawnSync('apt-get', ['install', '-y', '-q', ...PACKAGES], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !BINARIES.every(existsSync))
    return `Slurm could not be installed: apt-get install ${PACKAGES.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' ')}`;
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function until(what: () => boolean, ms: number, label: string, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`local Slurm: timed out waiting for ${label}\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts munged, slurmctld and slurmd (one node: this host, `cpus` CPUs as
 * configured, whatever the hardware has). Returns the reason instead when Slurm
 * cannot be installed here.
 */
export async function startLocalSlurm(cpus = 3): Promise<LocalSlurm | { skip: string }> {
  const missing = ensureInstalled();
  if (missing) return { skip: missing };
  const dir = mkdtempSync(join(tmpdir(), 'dpl-slurm-'));
  chmodSync(dir, 0o755); // munged wants its socket's folders searchable by all
  for (const d of ['run', 'state', 'spool', 'log']) mkdirSync(join(dir, d));
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'run', 'munge.sock');
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const daemon = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => logs.push(`${cmd}: ${d}`));
    c.stderr!.on('data', (d: Buffer) => logs.push(`${cmd}: ${d}`));
    children.push(c);
  };
  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.on('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };
  try {
    // -f: run as root, with the folder checks relaxed (our own folders, not /etc/munge).
    daemon('/usr/sbin/munged', [
      '-F',
      '-f',
      `--socket=${socket}`,
      `--key-file=${key}`,
      `--pid-file=${join(dir, 'run', 'munged.pid')}`,
      `--seed-file=${join(dir, 'run', 'munged.seed')}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`,
    ]);
    await until(
      () => existsSync(socket),
      30_000,
      'munged',
      () => logs.join(''),
    );
    const node = hostname().split('.')[0]!;
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=dpltest',
        `SlurmctldHost=${node}(127.0.0.1)`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'run', 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'run', 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'MpiDefault=none',
        'ReturnToService=2',
        // The node's CPUs as configured here, not as detected: three tasks side by side on a small machine.
        'SlurmdParameters=config_overrides',
        'AccountingStorageType=accounting_storage/none',
        'JobAcctGatherType=jobacct_gather/none',
        'SchedulerParameters=sched_interval=1',
        `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=1000 State=UNKNOWN`,
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, SLURM_CONF: conf };
    daemon('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf], env);
    daemon('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', node], env);
    await until(
      () => {
        const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
        return r.status === 0 && /^idle/m.test(r.stdout);
      },
      90_000,
      'the node to be idle',
      () => logs.join(''),
    );
    return { env: { SLURM_CONF: conf }, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
