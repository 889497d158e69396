// Exiting with tensor work in flight: process.exit (and a second Ctrl-C, which calls
// it) ends the process with its exit code while the worker is inside a job, without
// the static destructors that would pull LibTorch out from under that job (before the
// exit guard in native/executor.cpp, 6 of 10 such exits here died with SIGSEGV).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_MODELS } from './helpers/models.js';

const dir = mkdtempSync(join(tmpdir(), 'dpl-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A child that keeps the worker busy: three loops of resnet50 features, each call
// queued as soon as the last one ends; it prints "busy" after the first completes.
const busyChild = (then: string) => `
  import { LossNetwork } from '${resolve('dist/index.js')}';
  const net = await LossNetwork.load('resnet50', { modelsDir: '${TEST_MODELS}' });
  const x = { data: new Float32Array(2 * 3 * 96 * 96).fill(0.5), shape: [2, 3, 96, 96] };
  let done = 0;
  const pump = async () => { for (;;) { await net.features(x, [7]); if (++done === 1) { console.log('busy'); ${then} } } };
  pump(); pump(); pump();`;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function run(script: string, onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => {}): Promise<Exit> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) =>
      d
        .split('\n')
        .filter(Boolean)
        .forEach((l) => onLine(l, child)),
    );
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      d.split('\n')
        .filter(Boolean)
        .forEach((l) => onLine(l, child));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stderr });
    });
  });
}

function expectCleanExit(r: Exit, code: number): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/Segmentation|Aborted|terminate called|core dumped|pure virtual|FATAL/i);
}

describe('exit with jobs in flight', () => {
  it('process.exit(3) from a job callback, the worker busy with the next: exit code 3, no crash (4 processes)', async () => {
    const exits = await Promise.all(Array.from({ length: 4 }, () => run(busyChild('process.exit(3);'))));
    for (const r of exits) expectCleanExit(r, 3);
    expect(readdirSync(dir).filter((f) => f.startsWith('core'))).toEqual([]);
  });

  it('two Ctrl-Cs through src/cli/interrupt.ts: the second exits at once with 130, no crash', async () => {
    const script = `
      import { onCtrlC } from '${resolve('dist/cli/interrupt.js')}';
      onCtrlC({ first: 'stopping after this step', second: 'nothing saved' });
      ${busyChild('')}`;
    let sent = 0;
    const r = await run(script, (line, child) => {
      // Each SIGINT only once the child is ready for it: busy, then told the first one.
      if ((line === 'busy' && sent === 0) || (/Ctrl-C again/.test(line) && sent === 1)) {
        sent++;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(2);
    expectCleanExit(r, 130);
    expect(r.stderr).toMatch(/second Ctrl-C, exiting now \(nothing saved\)/);
  });
});
