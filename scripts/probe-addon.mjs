// Child process of the loader's probe (scripts/prebuilt.mjs): loads the plan given
// on stdin the way the loader will, calls info(), and prints it with the LibTorch
// files the process mapped. If the addon and LibTorch do not fit, this process
// fails or crashes, not the caller.
import { readFileSync } from 'node:fs';
import { loadPlan } from './prebuilt.mjs';

const plan = JSON.parse(readFileSync(0, 'utf8'));
try {
  const info = loadPlan(plan).info();
  const maps = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.slice(l.indexOf('/')))
    .filter((p) => /\/lib(torch|c10)[^/]*\.so/.test(p));
  console.log(JSON.stringify({ ...info, torchLibraries: [...new Set(maps)] }));
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
