// Where the package and its exported models live.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), from dist/ or src/. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folder of TorchScript exports: DPL_TORCH_MODELS, else models/torchscript in the package. */
export function modelsDir(): string {
  return process.env.DPL_TORCH_MODELS ? resolve(process.env.DPL_TORCH_MODELS) : join(packageRoot, 'models', 'torchscript');
}
