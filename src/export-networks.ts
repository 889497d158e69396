// Runs scripts/export-networks.py with a Python that has torchvision.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { requireArchitecture, STUDY_NETWORK_NAMES } from './networks.js';
import { modelsDir, packageRoot } from './paths.js';
import { requirePythonTorch } from './python.js';

export interface ExportOptions {
  architectures?: string[];
  weights?: 'imagenet' | 'random';
  seed?: number;
  out?: string;
  /** A torch hub folder holding checkpoints/<file>.pth (for offline machines). */
  weightsDir?: string;
  /** Called with each line the exporter prints. */
  onLine?: (line: string) => void;
}

/** Exports the networks (default: the study's 14); resolves when all are written. */
export async function exportNetworks(options: ExportOptions = {}): Promise<void> {
  const archs = options.architectures?.length ? options.architectures : STUDY_NETWORK_NAMES;
  archs.forEach(requireArchitecture);
  const { python } = requirePythonTorch();
  const args = [
    join(packageRoot, 'scripts', 'export-networks.py'),
    '--arch',
    archs.join(','),
    '--weights',
    options.weights ?? 'imagenet',
    '--seed',
    String(options.seed ?? 0),
    '--out',
    options.out ?? modelsDir(),
  ];
  if (options.weightsDir) args.push('--weights-dir', options.weightsDir);
  const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) options.onLine?.(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code: number = await new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (c) => res(c ?? 1));
  });
  if (code !== 0) {
    const tail = stderr
      .trim()
      .split('\n')
      .filter((l) => !/warn/i.test(l))
      .slice(-6)
      .join('\n');
    throw new Error(`export-networks failed (exit ${code}):\n${tail}`);
  }
}
