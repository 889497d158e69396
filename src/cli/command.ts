import { describeArchitecture } from '../networks.js';

export interface Command {
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** '12' -> 12, or an Error naming the option; undefined stays undefined. */
/** A non-negative integer option (every integer option of the CLI is a count, size, seed or index). */
export function int(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${option} must be a non-negative integer, got '${value}'`);
  return n;
}

/** A non-negative number option. */
export function num(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${option} must be a non-negative number, got '${value}'`);
  return n;
}

/** 'a,b, c' -> ['a', 'b', 'c'] */
export const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);

/** '3,8,15' -> [3, 8, 15], or an Error naming the option. */
export function intList(s: string | undefined, option: string): number[] | undefined {
  const parts = list(s);
  if (!parts) return undefined;
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${option} must be non-negative integers separated by commas, got '${p}'`);
    return n;
  });
}

/** Refuses layers past a network's last usable child before any data is read or downloaded. */
export function checkLayers(network: string, layers: number[], option: string): void {
  const d = describeArchitecture(network);
  if (!d) return; // 'pixel', a .pt path or an unknown name: the run's load says what is wrong
  const bad = layers.find((l) => l >= d.children);
  if (bad !== undefined) {
    throw new Error(`${option} ${bad} is past the end of ${network}: it has ${d.children} children, so layers run 0..${d.children - 1}`);
  }
}
