// Finding a Python that has torch and torchvision (for exports and references).
import { spawnSync } from 'node:child_process';

export interface PythonTorch {
  python: string;
  torch: string;
  torchvision: string;
}

let cached: PythonTorch | null | undefined;

/** Candidates in order: DPL_TORCH_PYTHON, python3 on PATH, Debian's /usr/bin/python3. */
export function findPythonTorch(): PythonTorch | null {
  if (cached !== undefined) return cached;
  const candidates = [process.env.DPL_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  cached = null;
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ['-c', 'import torch, torchvision; print(torch.__version__); print(torchvision.__version__)'], {
      encoding: 'utf8',
    });
    if (r.status === 0) {
      const [torch = '', torchvision = ''] = r.stdout.trim().split('\n');
      cached = { python, torch, torchvision };
      break;
    }
  }
  return cached;
}

/** Like findPythonTorch, but throws with the remedy when none is found. */
export function requirePythonTorch(): PythonTorch {
  const found = findPythonTorch();
  if (!found) {
    throw new Error(
      'no Python with torch and torchvision found (tried DPL_TORCH_PYTHON, python3, /usr/bin/python3). ' +
        'Install one: `sudo apt-get install python3-torchvision` (Debian/Ubuntu) or `pip install torch torchvision`, ' +
        'or set DPL_TORCH_PYTHON to a python that has them',
    );
  }
  return found;
}
