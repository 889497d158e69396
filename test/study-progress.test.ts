// The CLI's progress display: bars with ETAs redrawn in place on a TTY, plain lines otherwise.
import { describe, expect, it } from 'vitest';
import { formatSeconds, progressPrinter } from '../src/cli/study-progress.js';
import type { StudyEvent } from '../src/study/runner.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    stream: { isTTY, columns: 100, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream,
    text: () => chunks.join(''),
  };
}

const run = { benchmark: 'super-resolution', network: 'vgg16', layers: [3], variant: 'x4', repetition: 0, seed: 0 };
const events: StudyEvent[] = [
  { type: 'plan', total: 3, pending: 2, skipped: 1 },
  { type: 'run-start', id: 'r1', run, index: 0, of: 2 },
  {
    type: 'run-progress',
    id: 'r1',
    run,
    index: 0,
    of: 2,
    done: 5,
    total: 10,
    note: 'epoch 1/2',
    runEta: 65,
    studyEta: 3725,
    studyFraction: 0.25,
  },
  { type: 'run-progress', id: 'r1', run, index: 0, of: 2, done: 10, total: 10, runEta: 0, studyEta: 100, studyFraction: 0.5 },
  { type: 'run-end', id: 'r1', run, index: 0, of: 2, status: 'done', seconds: 12 },
];

describe('study progress display', () => {
  it('draws two bars with ETAs on a TTY and redraws them in place', () => {
    const { stream, text } = fakeStream(true);
    const show = progressPrinter(stream);
    events.forEach(show);
    const out = text();
    expect(out).toContain('study: 3 runs, 1 already done, 2 to run\n[1/2] r1\n');
    expect(out).toContain('study [######..................] 25%  ETA 1:02:05\nrun   [############............] 5/10 epoch 1/2  ETA 1:05\n');
    // the second update and the end line first move up over the 2 bar lines and clear them
    expect(out.match(/\x1b\[2A\x1b\[0J/g)).toHaveLength(2);
    expect(out.endsWith('  done in 0:12\n')).toBe(true);
  });

  it('prints plain lines without escape codes otherwise', () => {
    const { stream, text } = fakeStream(false);
    const show = progressPrinter(stream);
    events.forEach(show);
    expect(text()).not.toContain('\x1b');
    expect(text()).toContain('  r1: 5/10 epoch 1/2 (run ETA 1:05, study 25%, ETA 1:02:05)\n');
    expect(text()).toContain('  r1: 10/10 (run ETA 0:00, study 50%, ETA 1:40)\n'); // the last step is always shown
  });

  it('shows only the run for a session of one run (the single-run commands), and downloads in MB', () => {
    const one: StudyEvent[] = [
      { type: 'run-start', id: 'r1', run, index: 0, of: 1 },
      {
        type: 'run-progress',
        id: 'r1',
        run,
        index: 0,
        of: 1,
        done: 2.5e6,
        total: 1e7,
        note: 'downloading jnd.tar.gz',
        runEta: null,
        studyEta: null,
        studyFraction: 0.25,
      },
      {
        type: 'run-progress',
        id: 'r1',
        run,
        index: 0,
        of: 1,
        done: 10,
        total: 10,
        note: 'epoch 1/1',
        runEta: 0,
        studyEta: 0,
        studyFraction: 1,
      },
    ];
    const tty = fakeStream(true);
    one.forEach(progressPrinter(tty.stream));
    expect(tty.text()).toContain('[1/1] r1\nrun   [######..................] downloading jnd.tar.gz 2.5/10.0 MB  ETA --:--\n');
    expect(tty.text()).not.toContain('study');
    expect(tty.text().match(/\x1b\[1A\x1b\[0J/g)).toHaveLength(1);
    const plain = fakeStream(false);
    one.forEach(progressPrinter(plain.stream));
    expect(plain.text()).toBe('[1/1] r1\n  r1: downloading jnd.tar.gz 2.5/10.0 MB (run ETA --:--)\n  r1: 10/10 epoch 1/1 (run ETA 0:00)\n');
  });

  it('formats durations', () => {
    expect([formatSeconds(null), formatSeconds(59.6), formatSeconds(3600)]).toEqual(['--:--', '1:00', '1:00:00']);
  });
});
