import { parseArgs } from 'node:util';
import { weightsStatement } from '../study/report.js';
import { PRESET_NAMES, type PresetName } from '../study/presets.js';
import { StudyInterrupted } from '../study/runner.js';
import { Study } from '../study/study.js';
import { list, type Command } from './command.js';
import { onCtrlC, sameCommand } from './interrupt.js';
import { progressPrinter } from './study-progress.js';

export const runCommand: Command = {
  summary: 'run the study (default: the quick preset), resuming where it stopped; then write the report',
  usage:
    '[study.json|study.yaml] [--preset quick|paper] [--only benchmark,...] [--networks a,b] [--device auto|cpu|cuda] [--out DIR] [--no-report]\n\n' +
    'Ctrl-C stops after the current run saves a checkpoint; the same command resumes.\n' +
    'DPL_TORCH_QUICK_SCALE=tiny shortens the quick preset (tests).',
  async run(args) {
    const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: {
      preset: { type: 'string' },
      only: { type: 'string' },
      networks: { type: 'string' },
      device: { type: 'string' },
      out: { type: 'string' },
      'no-report': { type: 'boolean', default: false },
    } });
    if (positionals.length > 1) throw new Error(`expected at most one study config file, got ${positionals.join(' ')}`);
    if (values.preset !== undefined && !PRESET_NAMES.includes(values.preset as PresetName)) {
      throw new Error(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${values.preset}'`);
    }
    const study = new Study({
      config: positionals[0],
      preset: values.preset as PresetName | undefined,
      only: list(values.only),
      networks: list(values.networks),
      device: values.device,
      out: values.out,
    });
    study.on('progress', progressPrinter());
    const ctrlC = onCtrlC({
      first: 'stopping after the current run saves its checkpoint',
      second: 'the current run resumes from its last checkpoint',
    });
    const again = sameCommand('run', args);
    try {
      const s = await study.run({ signal: ctrlC.signal });
      console.error(`study: ${s.done} runs done now, ${s.skipped} were done before, ${s.failed} failed; results in ${study.storePath}`);
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
        console.error(`dpl-torch: ${e.message}.\nTo resume, run the same command again: ${again}${values.out ? '' : ` --out ${study.out}`}`);
        return 130;
      }
      throw e;
    } finally {
      ctrlC.dispose();
    }
  },
};
