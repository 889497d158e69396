import { parseArgs } from 'node:util';
import { weightsStatement } from '../study/report.js';
import { parseShard } from '../study/shards.js';
import { StudyInterrupted } from '../study/runner.js';
import type { Command } from './command.js';
import { onCtrlC, sameCommand } from './interrupt.js';
import { STUDY_USAGE, studyArgOptions, studyFromArgs } from './study-args.js';
import { progressPrinter } from './study-progress.js';

export const runCommand: Command = {
  summary: 'run the study (default: the quick preset), resuming where it stopped; then write the report',
  usage:
    `${STUDY_USAGE} [--shard i/n] [--no-report]\n\n` +
    'Ctrl-C stops after the current run saves a checkpoint; the same command resumes.\n' +
    'Several runs may share one --out (processes, hosts): each run is claimed, so none runs twice.\n' +
    '--shard i/n runs slice i (0..n-1) of n of the plan, balanced by expected cost (see `dpl-torch slurm`).\n' +
    'DPL_TORCH_QUICK_SCALE=tiny shortens the quick preset (tests).',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        ...studyArgOptions,
        shard: { type: 'string' },
        'no-report': { type: 'boolean', default: false },
      },
    });
    const shard = values.shard === undefined ? undefined : parseShard(values.shard);
    const study = studyFromArgs(values, positionals);
    study.on('progress', progressPrinter());
    const ctrlC = onCtrlC({
      first: 'stopping after the current run saves its checkpoint',
      second: 'the current run resumes from its last checkpoint',
    });
    const again = sameCommand('run', args);
    try {
      const s = await study.run({ signal: ctrlC.signal, shard });
      const held = s.held ? `, ${s.held} held by other workers` : '';
      console.error(
        `${shard ? `shard ${values.shard}` : 'study'}: ${s.done} runs done now, ${s.skipped} were done before, ${s.failed} failed${held}; results in ${study.storePath}`,
      );
      if (!values['no-report']) {
        const files = await study.report();
        console.error(`report: ${files.html}\nsummary: ${files.markdown}\nCSV: ${files.csv}`);
      }
      const weights = weightsStatement(study.analysis());
      if (weights.random) console.error(weights.text);
      if (s.failed) console.error(`${s.failed} run(s) failed (see the report); \`${again}\` retries them.`);
      return s.failed ? 1 : 0;
    } catch (e) {
      if (e instanceof StudyInterrupted) {
        console.error(
          `dpl-torch: ${e.message}.\nTo resume, run the same command again: ${again}${values.out ? '' : ` --out ${study.out}`}`,
        );
        return 130;
      }
      throw e;
    } finally {
      ctrlC.dispose();
    }
  },
};
