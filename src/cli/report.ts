import { parseArgs } from 'node:util';
import { writeReport } from '../study/report.js';
import type { Command } from './command.js';

export const reportCommand: Command = {
  summary: "write a study folder's report: report.html (self-contained), summary.md, results.csv/json, tables.csv",
  usage: 'DIR',
  async run(args) {
    const { positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new Error('give the study folder: dpl-torch report DIR (the --out of `dpl-torch run`)');
    const files = await writeReport(positionals[0]!);
    console.log(`report: ${files.html}\nsummary: ${files.markdown}\nCSV: ${files.csv}\ntables: ${files.tablesCsv}`);
    return 0;
  },
};
