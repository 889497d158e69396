#!/usr/bin/env bash
# The bench's CUDA check, in one command, for a machine with a CUDA PyTorch 2.x,
# cmake, nvcc and maybe no Node. From the repository root:
#
#   bash bench/gpu-check.sh            (logs go to $OUT, or ./gpu-check-out)
#
# Carry along: node_modules (cmake-js, node-addon-api, typescript, zod, ...) and
# .device/node.xz (`xz -c "$(command -v node)" > .device/node.xz` on a machine with
# Node 20+; used when the GPU machine has no node). Steps:
#   1. node from .device/node.xz; LibTorch = the Python torch's (Torch_DIR)
#   2. build the addon (scripts/build-native.mjs) and the TypeScript (dist, dist-bench)
#   3. export a few networks with --weights random (needs torchvision)
#   4. fast path against plain path on CUDA (TF32 off): bench/fast-check.ts
#      (and bench/cuda-check.mjs, CUDA against CPU, where it exists)
#   5. the harness on CUDA: fp32, then autocast bf16 and fp16 (distance from fp32 printed)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
NETS=${NETS:-vgg16,vgg16_bn,resnet50,efficientnet_b0,inception_v3}
REPS=${REPS:-3}
say() { echo "[gpu-check $(date +%T)] $*" | tee -a "$OUT/summary.log"; }
fail() { say "FAILED: $*"; exit 1; }

if [ -f .device/node.xz ]; then
  mkdir -p /tmp/dpl-node && xz -dc .device/node.xz > /tmp/dpl-node/node && chmod +x /tmp/dpl-node/node
  export PATH=/tmp/dpl-node:$PATH
fi
# Production node_modules built on the CPU machine (same node binary), where none is here.
if [ ! -d node_modules ] && [ -f .device/node_modules.tar.xz ]; then
  tar xJf .device/node_modules.tar.xz
fi
command -v node >/dev/null || fail "no node: carry .device/node.xz (xz -c \"\$(command -v node)\" > .device/node.xz)"
PY=${DPL_TORCH_PYTHON:-python3}
export DPL_TORCH_PYTHON=$PY
$PY - >"$OUT/env.log" 2>&1 <<'PYEOF' || { cat "$OUT/env.log"; fail "the Python torch has no CUDA (see env.log)"; }
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "device", torch.cuda.get_device_name(0))
assert torch.cuda.is_available()
try:
    import torchvision; print("torchvision", torchvision.__version__)
except ImportError:
    print("no torchvision: exports and --py-model torchvision cannot run")
PYEOF
say "node $(node --version); $(head -1 "$OUT/env.log")"
Torch_DIR="$($PY -c 'import torch;print(torch.utils.cmake_prefix_path)')/Torch"
export Torch_DIR
if [ -z "${CUDACXX:-}" ]; then
  CUDACXX=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  export CUDACXX
fi

say "building the addon against $Torch_DIR (log: build.log)"
if ! node scripts/build-native.mjs >"$OUT/build.log" 2>&1; then
  # Collect every compile error, not just the first file's.
  cmake --build build -- -k 0 >>"$OUT/build.log" 2>&1
  grep -E "error" "$OUT/build.log" | head -40
  fail "addon build (build.log)"
fi
# dist/ and dist-bench/ may be carried prebuilt (the GPU machine may lack TypeScript).
if [ ! -f dist/index.js ] || [ ! -f dist-bench/run.js ]; then
  node node_modules/typescript/bin/tsc -p tsconfig.json >"$OUT/tsc.log" 2>&1 &&
    node node_modules/typescript/bin/tsc -p bench/tsconfig.json >>"$OUT/tsc.log" 2>&1 || fail "TypeScript build (tsc.log)"
fi
node -e "const i=require('./build/Release/dpl_torch.node').info(); console.log(JSON.stringify(i)); if(!i.cudaAvailable) process.exit(1)" \
  >"$OUT/addon-info.log" 2>&1 || { cat "$OUT/addon-info.log"; fail "the addon sees no CUDA (addon-info.log)"; }

MODELS=.cache/bench-models
say "exporting $NETS (random init) into $MODELS"
node dist/cli/main.js export-networks --arch "$NETS" --weights random --out "$MODELS" >"$OUT/export.log" 2>&1 ||
  fail "export-networks (export.log)"

status=0
say "fast path vs plain path on CUDA (fast-check.log)"
node dist-bench/fast-check.js --device cuda --networks "$NETS" --models "$MODELS" 2>&1 | tee "$OUT/fast-check.log" || status=1

if [ -f bench/cuda-check.mjs ]; then
  say "the lead's CUDA-vs-CPU check, bench/cuda-check.mjs (cuda-check.log)"
  DPL_TORCH_MODELS=$MODELS node bench/cuda-check.mjs "$NETS" >"$OUT/cuda-check.log" 2>&1 || status=1
  tail -n 5 "$OUT/cuda-check.log" | tee -a "$OUT/summary.log"
fi

for amp in none bf16 fp16; do
  say "bench on CUDA, amp $amp (bench-$amp.log)"
  node dist-bench/run.js --device cuda --amp "$amp" --networks "$NETS" --models "$MODELS" --reps "$REPS" --warmup 5 \
    --variants api,plain,fast,fast-cl,fast-nchw --batch "${BATCH:-16}" --size "${SIZE:-224}" --json "$OUT/bench-$amp.json" \
    >"$OUT/bench-$amp.log" 2>&1 || { tail -5 "$OUT/bench-$amp.log"; status=1; }
  tail -n 12 "$OUT/bench-$amp.log" | tee -a "$OUT/summary.log"
done
say "done (status $status); logs in $OUT"
exit $status
