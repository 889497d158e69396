// Runs one benchmark run for a single-run command (similarity,
// super-resolution) the way `run` runs each run of a study: the study's
// progress display and the run's log on stderr, Ctrl-C through onCtrlC, and
// the weights id, metrics and run folder on stdout.
import { basename } from 'node:path';
import type { Benchmark, RunResult, RunSpec } from '../benchmarks/benchmark.js';
import { progressEvents, type RunPlace } from '../study/runner.js';
import { onCtrlC, sameCommand } from './interrupt.js';
import { progressPrinter } from './study-progress.js';

export interface RunOneOptions {
  /** The run's folder, kept across restarts: the same folder resumes. Its name labels the progress lines. */
  dir: string;
  device: string;
  modelsDir?: string;
  /** The command's name and arguments, for the line that says how to resume. */
  command: string;
  args: string[];
}

/**
 * Runs `spec` and prints its metrics. Resolves to the result and the run's
 * seconds, or to null when Ctrl-C stopped it (the benchmark saved its
 * checkpoint; the message says how to resume; the command exits with 130).
 * Other errors are thrown.
 */
export async function runOneFromCli(
  benchmark: Benchmark,
  spec: RunSpec,
  options: RunOneOptions,
): Promise<{ result: RunResult; seconds: number } | null> {
  const { dir } = options;
  const { network, layers, variant, repetition, seed } = spec;
  const place: RunPlace = {
    id: basename(dir),
    run: { benchmark: spec.benchmark, network, layers, variant, repetition, seed },
    index: 0,
    of: 1,
  };
  const show = progressPrinter();
  const ctrlC = onCtrlC({
    first: 'stopping at the next step, after saving a checkpoint',
    second: 'the same command resumes from the last checkpoint saved, which may be some steps back',
  });
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  show({ type: 'run-start', ...place });
  try {
    const result = await benchmark.run(spec, {
      dir,
      device: options.device,
      modelsDir: options.modelsDir,
      signal: ctrlC.signal,
      progress: progressEvents(place, started, show),
      log: (line) => show({ type: 'log', id: place.id, line }),
    });
    // A run that returned is complete (an aborted one throws): keep it even if Ctrl-C came late.
    show({ type: 'run-end', ...place, status: 'done', seconds: seconds() });
    console.log(`weights: ${result.weightsId}`);
    for (const [k, v] of Object.entries(result.metrics)) console.log(`${k.padEnd(22)} ${v.toFixed(4)}`);
    console.log(`run folder: ${dir}`);
    return { result, seconds: seconds() };
  } catch (e) {
    if (!ctrlC.signal.aborted) {
      show({ type: 'run-end', ...place, status: 'failed', seconds: seconds() });
      throw e;
    }
    show({ type: 'run-end', ...place, status: 'interrupted', seconds: seconds() });
    console.error(
      `dpl-torch: stopped; the run keeps its checkpoint in ${dir}.\nTo resume, run the same command again: ${sameCommand(options.command, options.args)}`,
    );
    return null;
  } finally {
    ctrlC.dispose();
  }
}
