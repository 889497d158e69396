// The options that pick a study, shared by `run` and `slurm submit`, so that a
// submitted study is the one `run` would run with the same arguments.
import { PRESET_NAMES, type PresetName } from '../study/presets.js';
import { Study } from '../study/study.js';
import { list } from './command.js';

export const STUDY_USAGE =
  '[study.json|study.yaml] [--preset quick|paper] [--only benchmark,...] [--networks a,b] [--device auto|cpu|cuda] [--out DIR]';

export const studyArgOptions = {
  preset: { type: 'string' },
  only: { type: 'string' },
  networks: { type: 'string' },
  device: { type: 'string' },
  out: { type: 'string' },
} as const;

export interface StudyArgs {
  preset?: string;
  only?: string;
  networks?: string;
  device?: string;
  out?: string;
}

/** The Study that these parsed arguments name. */
export function studyFromArgs(values: StudyArgs, positionals: string[]): Study {
  if (positionals.length > 1) throw new Error(`expected at most one study config file, got ${positionals.join(' ')}`);
  if (values.preset !== undefined && !PRESET_NAMES.includes(values.preset as PresetName)) {
    throw new Error(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${values.preset}'`);
  }
  return new Study({
    config: positionals[0],
    preset: values.preset as PresetName | undefined,
    only: list(values.only),
    networks: list(values.networks),
    device: values.device,
    out: values.out,
  });
}
