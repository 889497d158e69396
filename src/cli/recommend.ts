import { parseArgs } from 'node:util';
import { Device } from '../loss-network.js';
import { recommend, recommendationText, TASKS, type Task } from '../study/recommend.js';
import type { Command } from './command.js';

export const recommendCommand: Command = {
  summary: 'the best loss network and layer for a task, from measured study results (and within a loss-step time budget)',
  usage:
    '--task similarity|super-resolution|delineation|autoencoder [--results DIR] [--config ID]\n' +
    '    [--budget-ms N [--device cpu|cuda] [--batch N] [--size N] [--models-dir DIR]] [--json]\n\n' +
    "DIR is a study folder (default runs/paper). With --budget-ms, each candidate's loss step is timed on this\n" +
    'machine (cached in DIR/loss-step-times.json). Without results it prints the commands that make them.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        task: { type: 'string' },
        results: { type: 'string', default: 'runs/paper' },
        config: { type: 'string' },
        'budget-ms': { type: 'string' },
        device: { type: 'string' },
        batch: { type: 'string' },
        size: { type: 'string' },
        'models-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length) throw new Error(`unexpected argument ${positionals.join(' ')}; give the folder with --results DIR`);
    if (!TASKS.includes(values.task as Task))
      throw new Error(`--task must be one of ${TASKS.join(', ')}${values.task ? `, got '${values.task}'` : ''}`);
    const positive = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'`);
      return n;
    };
    const budgetMs = positive(values['budget-ms'], 'budget-ms');
    for (const name of ['device', 'batch', 'size'] as const) {
      if (values[name] !== undefined && budgetMs === undefined)
        throw new Error(`--${name} sets how the loss step is timed: it needs --budget-ms`);
    }
    if (values.device !== undefined && !Device.safeParse(values.device).success)
      throw new Error(`--device must be cpu, cuda or cuda:N, got '${values.device}'`);
    const integer = (v: string | undefined, name: string) => {
      const n = positive(v, name);
      if (n !== undefined && !Number.isInteger(n)) throw new Error(`--${name} must be a positive integer, got '${v}'`);
      return n;
    };
    const r = await recommend({
      task: values.task as Task,
      results: values.results,
      config: values.config,
      budgetMs,
      device: values.device,
      batch: integer(values.batch, 'batch'),
      size: integer(values.size, 'size'),
      modelsDir: values['models-dir'],
    });
    console.log(values.json ? JSON.stringify(r, null, 2) : recommendationText(r));
    return r.toRun ? 1 : 0;
  },
};
