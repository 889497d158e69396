import { doctor, formatDoctor } from '../doctor.js';
import { parseArgs } from 'node:util';
import { type Command } from './command.js';

export const doctorCommand: Command = {
  summary: 'show the LibTorch, devices, BLAS, Python and exported networks dpl-torch finds',
  usage: '[--json]',
  async run(args) {
    const { values } = parseArgs({ args, strict: true, options: { json: { type: 'boolean' } } });
    const report = doctor();
    console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
    return report.libtorch ? 0 : 1;
  },
};
