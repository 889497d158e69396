// Run claims (src/study/run-claims.ts): among processes racing for the same runs each
// run goes to exactly one; a dead holder (pid gone, or a reused pid) is taken
// over at once, a silent one only after the timeout; a holder whose claim was
// taken sees it at its next heartbeat and leaves the new claim alone; workers
// wait for a shared lock.
import { mkdtempSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunClaim, RunClaims, type ClaimInfo } from '../src/study/run-claims.js';
import { DIST, ensureDist, startNode, waitFor } from './helpers/cli.js';

beforeAll(ensureDist);

const fresh = () => mkdtempSync(join(tmpdir(), 'dpl-claims-'));

/** A claim file as another worker would have left it. */
function plant(dir: string, name: string, info: Partial<ClaimInfo>, ageMs = 0): void {
  const path = join(dir, `${name}.claim`);
  writeFileSync(path, JSON.stringify({ host: 'elsewhere', boot: 'b', pid: 1, pidStart: null, token: 'planted', since: '', ...info }));
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
}

/** As claims.ts identifies this host: boot id and pid namespace. */
const bootId = () => `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/pid')}`;

describe('claims', () => {
  it("gives each name to exactly one of several racing processes, and a dead holder's claims are taken over", async () => {
    const dir = fresh();
    const names = Array.from({ length: 30 }, (_, i) => `run-${i}`);
    const at = Date.now() + 1500;
    const done = join(fresh(), 'done');
    // Each child waits for the same instant, claims what it can and prints it; it exits, holding its claims,
    // once every child has printed (a holder that exits is dead, and its claims may be taken over).
    const script = `
      import { existsSync } from 'node:fs';
      import { RunClaims, RunClaim } from ${JSON.stringify(pathToFileURL(join(DIST, 'study', 'run-claims.js')).href)};
      const claims = new RunClaims(${JSON.stringify(dir)}, { timeoutMs: 60000 });
      while (Date.now() < ${at}) {}
      const got = ${JSON.stringify(names)}.filter((n) => claims.tryClaim(n) instanceof RunClaim);
      console.log(JSON.stringify(got));
      const wait = setInterval(() => existsSync(${JSON.stringify(done)}) && process.exit(0), 20);`;
    const file = join(fresh(), 'child.mjs');
    writeFileSync(file, script);
    const children = Array.from({ length: 4 }, () => startNode(file, [], process.env));
    await waitFor(() => children.every((c) => c.output().includes(']')), 60_000, 'every child to claim');
    writeFileSync(done, '');
    const codes = await Promise.all(children.map((c) => c.exit));
    expect(codes).toEqual([0, 0, 0, 0]);
    const got = children.map((c) => JSON.parse(c.output().trim().split('\n').at(-1)!) as string[]);
    expect(got.flat().sort()).toEqual([...names].sort());

    // Their processes are gone: this one takes every claim over at once, without waiting for the timeout.
    const claims = new RunClaims(dir, { timeoutMs: 60_000 });
    for (const n of names) {
      const c = claims.tryClaim(n);
      expect(c).toBeInstanceOf(RunClaim);
      expect((c as RunClaim).tookOver?.state).toBe('dead');
      (c as RunClaim).release();
    }
    expect(claims.list()).toEqual([]);
  });

  it('takes a silent holder over only after the timeout, and a reused pid counts as dead', () => {
    const dir = fresh();
    const claims = new RunClaims(dir, { timeoutMs: 10_000 });
    plant(dir, 'quiet', {}, 5_000);
    const held = claims.tryClaim('quiet');
    expect(held).not.toBeInstanceOf(RunClaim);
    expect((held as { held: { state: string; info: ClaimInfo } }).held).toMatchObject({ state: 'alive', info: { host: 'elsewhere' } });

    plant(dir, 'silent', {}, 20_000);
    const c = claims.tryClaim('silent');
    expect(c).toBeInstanceOf(RunClaim);
    expect((c as RunClaim).tookOver).toMatchObject({ state: 'silent', info: { token: 'planted' } });
    expect(claims.read('silent')!.info!.token).toBe((c as RunClaim).info.token);

    // This very pid on this host and boot, but started at another time: a reused pid, so its holder is dead.
    plant(dir, 'reused', { host: hostname(), boot: bootId(), pid: process.pid, pidStart: '1' });
    expect(claims.read('reused')!.state).toBe('dead');
    plant(dir, 'me', { host: hostname(), boot: bootId(), pid: process.pid, pidStart: null });
    expect(claims.read('me')!.state).toBe('alive');
  });

  it('heartbeats; a holder whose claim was taken over is told and leaves the new claim alone', async () => {
    const dir = fresh();
    const a = new RunClaims(dir, { timeoutMs: 60_000, heartbeatMs: 40 });
    const claim = a.tryClaim('r') as RunClaim;
    const first = statSync(claim.path).mtimeMs;
    claim.progress(3, 10, 'epoch 1');
    await new Promise((r) => setTimeout(r, 200));
    expect(statSync(claim.path).mtimeMs).toBeGreaterThan(first);
    expect(a.read('r')!.progress).toMatchObject({ done: 3, total: 10, note: 'epoch 1' });
    expect(claim.lost.aborted).toBe(false);

    // A worker that finds every claim silent (timeout 1 ms) takes it over.
    const b = new RunClaims(dir, { timeoutMs: 1, heartbeatMs: 1000 });
    await new Promise((r) => setTimeout(r, 5));
    const taken = b.tryClaim('r') as RunClaim;
    expect(taken).toBeInstanceOf(RunClaim);
    await new Promise((r) => setTimeout(r, 200));
    expect(claim.lost.aborted).toBe(true);
    expect(claim.stillMine()).toBe(false);
    claim.release();
    expect(a.read('r')!.info!.token).toBe(taken.info.token);
    taken.release();
    expect(a.read('r')).toBeUndefined();
  });

  it('withLock waits while another worker holds the lock', async () => {
    const dir = fresh();
    const claims = new RunClaims(dir, { timeoutMs: 60_000 });
    const holder = claims.tryClaim('lock') as RunClaim;
    const order: string[] = [];
    let waited = false;
    const locked = claims.withLock(
      'lock',
      async () => void order.push('locked'),
      () => (waited = true),
      20,
    );
    await new Promise((r) => setTimeout(r, 100));
    order.push('released');
    holder.release();
    await locked;
    expect(waited).toBe(true);
    expect(order).toEqual(['released', 'locked']);
  });
});
