import { parseArgs } from 'node:util';
import { writeReport } from '../study/report.js';
import { list, type Command } from './command.js';

export const reportCommand: Command = {
  summary: "write a study folder's report: report.html (self-contained), summary.md, results.csv/json, tables.csv",
  usage:
    'DIR [--config ID,...]\n\n' +
    '--config picks, per benchmark, the configuration (id or config-hash prefix, as the report lists them) that the\n' +
    'summaries across benchmarks and the claims use; default: the one with the most finished runs.',
  async run(args) {
    const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { config: { type: 'string' } } });
    if (positionals.length !== 1) throw new Error('give the study folder: dpl-torch report DIR (the --out of `dpl-torch run`)');
    const files = await writeReport(positionals[0]!, { primary: list(values.config) });
    console.log(`report: ${files.html}\nsummary: ${files.markdown}\nCSV: ${files.csv}\ntables: ${files.tablesCsv}`);
    return 0;
  },
};
