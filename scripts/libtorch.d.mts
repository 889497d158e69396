// Types of scripts/libtorch.mjs for the TypeScript that imports it.
export interface LibTorch {
  cmakeDir: string;
  route: string;
  pythonPackage?: string;
  version: string | null;
  abi: 'cxx11' | 'pre-cxx11' | null;
  cuda: boolean;
  cudaVersion: string | null;
  /** The folder holding libtorch.so; null when there is none. */
  libDir: string | null;
}
export const SYSTEM_DIRS: string[];
export class LibTorchError extends Error {}
export function findLibTorch(env?: NodeJS.ProcessEnv): LibTorch | null;
export function describeLibTorch(found: { cmakeDir: string; route: string; pythonPackage?: string }): LibTorch;
export function majorMinor(version: string | null | undefined): string | null;
export function formatLibTorch(t: LibTorch): string;
