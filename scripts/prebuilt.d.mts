// Types of scripts/prebuilt.mjs for the TypeScript that imports it.
import type { LibTorch } from './libtorch.mjs';

/** A platform package's `dplTorch` record. */
export interface PrebuiltRecord {
  addon: string;
  platform: string;
  torch: string;
  torchVersion: string;
  abi: 'cxx11' | 'pre-cxx11';
  cuda: boolean;
  cudaVersion: string | null;
  needs: string[];
  builtAgainst: string;
}
export interface LoadPlan {
  addon: string;
  /** Libraries to load first, in order (absolute paths). */
  preload?: string[];
}
export interface PrebuiltEntry {
  name: string;
  dir: string;
  meta: PrebuiltRecord;
  /** Why it was not used; null when it fits (and was used or not needed). */
  refused: string | null;
}
export interface AddonChoice {
  libtorch: LibTorch | null;
  problems: string[];
  prebuilts: PrebuiltEntry[];
  published: string[];
  source: { path: string; exists: boolean; builtAgainst: LibTorch | null; error?: string };
  fromSource: boolean;
  chosen: {
    kind: 'prebuilt' | 'source';
    name?: string;
    path: string;
    plan: LoadPlan;
    why: string;
    /** a source build not recorded for the LibTorch found */ fallback: boolean;
    info: Record<string, unknown> & { torchLibraries?: string[] };
  } | null;
  message: string | null;
}
export const SCOPE: string;
export const ADDON_FILE: string;
export const packageRoot: string;
export const BUILD_COMMAND: string;
export function currentPlatform(): string;
export function prebuiltName(t: { version: string | null; abi: string | null }, platform?: string): string;
export function installedPrebuilts(root?: string): { name: string; dir: string; version: string; meta: PrebuiltRecord }[];
export function publishedPrebuilts(root?: string): string[];
export function formatRecord(m: PrebuiltRecord): string;
export function refusal(prebuilt: { meta: PrebuiltRecord }, torch: LibTorch | null, platform?: string): string | null;
export function loadPlan(plan: LoadPlan): unknown;
export function probe(
  plan: LoadPlan,
  env?: NodeJS.ProcessEnv,
): { ok: true; info: Record<string, unknown>; cached?: boolean } | { ok: false; error: string };
export function sourceBuild(root?: string): AddonChoice['source'];
export function chooseAddon(options?: { root?: string; env?: NodeJS.ProcessEnv; prebuiltsOnly?: boolean }): AddonChoice;
export function explain(r: AddonChoice, root?: string): string;
