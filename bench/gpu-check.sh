#!/usr/bin/env bash
# The CUDA check, in one command, for a GPU machine with a CUDA PyTorch 2.x (torchvision),
# nvcc, cmake and maybe no Node and no internet. From the repository root:
#
#   bash bench/gpu-prepare.sh          (here, on the CPU machine: fills .device/, dist/, dist-bench/)
#   bash bench/gpu-check.sh            (there; carry .device, dist and dist-bench)
#
# Logs go to $OUT (or ./gpu-check-out): summary.log plus at most six more files (the
# device tool brings back eight); every other log is in logs.tgz. Steps:
#   1. node and npm from .device/, node_modules from .device/node_modules.tar.xz
#   2. export the networks (random init, seed 0) and run bench/grad_check.py (Python,
#      plain vs folded vs frozen, CPU vs CUDA, cuDNN deterministic on/off, ReLU and
#      max-pool flips), while the prebuilt compiles
#   3. build the prebuilt @dpl-torch/linux-x64-gnu-torch<X.Y> against the Python torch
#      (scripts/prebuild.mjs, no rpath), `npm pack` dpl-torch, and install both tarballs
#      offline into an empty project with no compiler or cmake on PATH; doctor there
#   4. the quick study (DPL_TORCH_QUICK_SCALE=tiny, every implemented benchmark) from that
#      project with --device cuda, and the same on the CPU, both with DPL_TORCH_TF32=0;
#      bench/compare-studies.mjs compares them run by run within its stated tolerances
#   5. the fast path against the plain path: bench/grad-check.mjs (per layer, plain run
#      twice), dist-bench/fast-check.js, bench/cuda-check.mjs (CUDA vs CPU op by op, and
#      DeviceTensors vs host FloatTensors on CUDA)
#   5b. the public API's loss step on CUDA three ways (#17): batches kept on the device as
#      DeviceTensors (api-device), host FloatTensors copied in and out each call through
#      pinned memory (api), and Python with its tensors on the device
#   6. if time is left (BENCH_BUDGET seconds since the start, default 330): the bench on
#      CUDA at fp32, bf16, fp16 (distance from fp32 printed)
# DRY_RUN_CPU=1 runs every step on the CPU (the "cuda" study too) and packs build/Release's
# addon instead of compiling: a check of this script on a machine without a GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/gpu-check-out}
WORK=${WORK:-/tmp/dpl-gpu-check}
LOGS=$WORK/logs
rm -rf "$WORK" && mkdir -p "$OUT" "$LOGS"
NETS=${NETS:-vgg16,vgg16_bn,resnet50,efficientnet_b0,inception_v3}
TINY_NETS=alexnet,squeezenet1_1,resnet18
REPS=${REPS:-3}
DEVICE=cuda
[ "${DRY_RUN_CPU:-}" = 1 ] && DEVICE=cpu
status=0
say() { echo "[gpu-check $(date +%T) +${SECONDS}s] $*" | tee -a "$OUT/summary.log"; }
fail() { say "FAILED: $*"; status=1; }
finish() {
  tar -C "$WORK" -czf "$OUT/logs.tgz" logs 2>/dev/null
  say "done (status $status) in ${SECONDS}s; logs in $OUT"
  exit $status
}
# Adds a file's last lines to the summary.
tail_to_summary() { tail -n "${2:-12}" "$1" | sed 's/^/    /' | tee -a "$OUT/summary.log"; }

# 1. Node, npm and the dependencies, carried from the CPU machine (same node binary, so
#    better-sqlite3's compiled binary fits).
if [ -f .device/node.xz ]; then
  mkdir -p /tmp/dpl-node/bin && xz -dc .device/node.xz > /tmp/dpl-node/bin/node && chmod +x /tmp/dpl-node/bin/node
  export PATH=/tmp/dpl-node/bin:$PATH
fi
if [ -f .device/npm.tar.xz ]; then
  tar -C /tmp/dpl-node -xJf .device/npm.tar.xz
  for t in npm npx; do printf '#!/bin/sh\nexec node /tmp/dpl-node/npm/bin/%s-cli.js "$@"\n' "$t" > /tmp/dpl-node/bin/$t; chmod +x /tmp/dpl-node/bin/$t; done
fi
if [ ! -d node_modules ] && [ -f .device/node_modules.tar.xz ]; then tar -xJf .device/node_modules.tar.xz; fi
command -v node >/dev/null || { fail "no node: run bench/gpu-prepare.sh and carry .device"; finish; }
command -v npm >/dev/null || { fail "no npm: run bench/gpu-prepare.sh and carry .device"; finish; }
[ -f dist/index.js ] && [ -f dist-bench/fast-check.js ] || { fail "no dist/ or dist-bench/: run bench/gpu-prepare.sh and carry dist and dist-bench"; finish; }
PY=
for p in ${DPL_TORCH_PYTHON:-} python3 /usr/bin/python3; do "$p" -c 'import torch, torchvision' 2>/dev/null && PY=$(command -v "$p") && break; done
[ -n "$PY" ] || { fail "no Python with torch and torchvision (DPL_TORCH_PYTHON, python3, /usr/bin/python3)"; finish; }
export DPL_TORCH_PYTHON=$PY
$PY - >"$LOGS/env.log" 2>&1 <<'PYEOF'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version() if torch.cuda.is_available() else None,
      "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
import torchvision; print("torchvision", torchvision.__version__)
PYEOF
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nvcc --version | tail -2; cmake --version | head -1; } >>"$LOGS/env.log" 2>&1
say "node $(node --version), npm $(npm --version); $(head -1 "$LOGS/env.log"); device $DEVICE"
if [ "$DEVICE" = cuda ] && ! $PY -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then fail "the Python torch sees no CUDA (env.log)"; finish; fi
if [ -z "${CUDACXX:-}" ] && [ "$DEVICE" = cuda ]; then CUDACXX=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc); export CUDACXX; fi

# 3a (in the background): the prebuilt, compiled against the LibTorch scripts/libtorch.mjs
# finds (the Python torch). On a dry run: build/Release's addon, packed (no compile).
PREBUILDS=$WORK/prebuilds
if [ "${DRY_RUN_CPU:-}" = 1 ]; then PREBUILD_ARGS=(--addon build/Release/dpl_torch.node); else PREBUILD_ARGS=(); fi
( node scripts/prebuild.mjs --out "$PREBUILDS" "${PREBUILD_ARGS[@]}" >"$OUT/prebuild.log" 2>&1; echo $? >"$WORK/prebuild.rc" ) &
PREBUILD_PID=$!

# 2. Networks (random init) for every step, and the Python gradient study meanwhile.
MODELS=$WORK/models
say "exporting $NETS,$TINY_NETS (random init) into $MODELS; the prebuilt compiles meanwhile (prebuild.log)"
node dist/cli/main.js export-networks --arch "$NETS,$TINY_NETS" --weights random --out "$MODELS" >"$LOGS/export.log" 2>&1 || fail "export-networks (export.log)"
say "bench/grad_check.py: inception_v3 input gradients against float64, with ReLU/max-pool flips (grad_check.log)"
PYTHONUNBUFFERED=1 $PY bench/grad_check.py --models "$MODELS" --arch inception_v3 >"$OUT/grad_check.log" 2>&1 || fail "grad_check.py (grad_check.log)"
tail_to_summary "$OUT/grad_check.log" 16
wait $PREBUILD_PID
if [ "$(cat "$WORK/prebuild.rc")" != 0 ]; then
  grep -E "error" "$OUT/prebuild.log" | head -40
  fail "the prebuilt did not build (prebuild.log)"; finish
fi
TGZ=$(ls "$PREBUILDS"/*.tgz | head -1)
PKG_DIR=$(ls -d "$PREBUILDS"/linux-* | head -1)
PKG=$(node -p "require('$PKG_DIR/package.json').name")
say "built $PKG: $(node -p "JSON.stringify(require('$PKG_DIR/package.json').dplTorch)")"
# The bench tools of step 5 run from this checkout: give them the same prebuilt (a dry run
# keeps this checkout's source build, which the loader prefers, and its node_modules as they are).
if [ "${DRY_RUN_CPU:-}" != 1 ]; then mkdir -p node_modules/@dpl-torch && rm -rf "node_modules/$PKG" && cp -r "$PKG_DIR" "node_modules/$PKG"; fi

# 3b. The user's install: dpl-torch and the platform package from their tarballs, offline,
# no compiler or cmake on PATH; dependencies already in the project (as the CI test takes
# them from npm's cache). npm must say it used the prebuilt, not compile.
npm pack --ignore-scripts --pack-destination "$WORK" >"$LOGS/pack.log" 2>&1 || fail "npm pack (pack.log)"
APP=$WORK/app
mkdir -p "$APP" "$WORK/bin" && echo '{"name":"app","version":"1.0.0","private":true}' >"$APP/package.json"
tar -C "$APP" -xJf .device/node_modules.tar.xz 2>/dev/null || cp -a node_modules "$APP/"
for t in node npm npx sh bash tar uname; do p=$(command -v "$t") && ln -sf "$p" "$WORK/bin/$t"; done
ln -sf "$PY" "$WORK/bin/python3"
NOCC_PATH=$WORK/bin
export DPL_TORCH_MODELS=$MODELS
DPL="$APP/node_modules/.bin/dpl-torch"
app_ok=1
(cd "$APP" && PATH=$NOCC_PATH npm install --offline --no-audit --no-fund --foreground-scripts --cache "$WORK/npm-cache" "$WORK"/dpl-torch-*.tgz "$TGZ") >"$OUT/install.log" 2>&1 ||
  { fail "npm install of the tarballs (install.log): skipping the steps in that project"; app_ok=0; }
tail_to_summary "$OUT/install.log" 6
grep -q "using the prebuilt .*nothing to compile" "$OUT/install.log" || fail "the install script did not take the prebuilt (install.log)"

# 3c, 4: doctor, --device auto and the quick study in the installed project.
app_checks() {
PATH=$NOCC_PATH "$DPL" doctor >"$OUT/doctor.log" 2>&1
PATH=$NOCC_PATH "$DPL" doctor --json >"$LOGS/doctor.json" 2>&1
tail_to_summary "$OUT/doctor.log" 40
if ! node -e "const r=require('$LOGS/doctor.json'); process.exit(r.binary?.kind==='prebuilt' && (r.cuda?.available || '$DEVICE'==='cpu') ? 0 : 1)"; then
  fail "the prebuilt did not load, or sees no CUDA (doctor.log); going on with the same build linked with an rpath"
  if [ "${DRY_RUN_CPU:-}" != 1 ]; then
    (cmake -DCMAKE_SKIP_RPATH=OFF build-prebuilt && cmake --build build-prebuilt) >"$LOGS/rpath-build.log" 2>&1 || { fail "rpath relink (rpath-build.log)"; finish; }
    for d in "$ROOT/build/Release" "$APP/node_modules/dpl-torch/build/Release"; do mkdir -p "$d" && cp build-prebuilt/Release/dpl_torch.node build-prebuilt/Release/dpl_torch.json "$d/"; done
    "$DPL" doctor >>"$OUT/doctor.log" 2>&1
  fi
fi
AUTO=$(cd "$APP" && node --input-type=module -e "const { resolveDevice } = await import('$APP/node_modules/dpl-torch/dist/device.js'); console.log(resolveDevice('auto'))" 2>&1)
say "--device auto resolves to: $AUTO"
[ "$AUTO" = "$DEVICE" ] || fail "--device auto gave '$AUTO', expected $DEVICE"

# 4. The quick study on CUDA (end to end, with its report) and on the CPU, at once.
say "the quick study (tiny) from the installed package: --device $DEVICE and --device cpu, TF32 off (study-cuda.log, study-cpu.log)"
export DPL_TORCH_QUICK_SCALE=tiny
DPL_TORCH_TF32=0 "$DPL" run --device "$DEVICE" --out "$WORK/study-cuda" >"$LOGS/study-cuda.log" 2>&1 & CUDA_PID=$!
DPL_TORCH_TF32=0 "$DPL" run --device cpu --no-report --out "$WORK/study-cpu" >"$LOGS/study-cpu.log" 2>&1 & CPU_PID=$!
wait $CUDA_PID || fail "the study on $DEVICE (logs.tgz: study-cuda.log)"
tail_to_summary "$LOGS/study-cuda.log" 6
wait $CPU_PID || fail "the study on cpu (logs.tgz: study-cpu.log)"
node bench/compare-studies.mjs "$WORK/study-cuda" "$WORK/study-cpu" --package "$APP/node_modules/dpl-torch" >"$OUT/compare-studies.log" 2>&1 ||
  fail "CUDA and CPU study results differ beyond tolerance (compare-studies.log)"
tail_to_summary "$OUT/compare-studies.log" 1
cp "$WORK/study-cuda/summary.md" "$LOGS/study-cuda-summary.md" 2>/dev/null
}
[ $app_ok = 1 ] && app_checks

# 5. Fast path against plain path, and CUDA against CPU op by op.
say "bench/grad-check.mjs: native fast vs plain per layer, plain twice ($DEVICE and cpu; grad-check-native.log)"
for dev in $DEVICE cpu; do node bench/grad-check.mjs --device $dev --models "$MODELS" --networks inception_v3,resnet50; done >"$OUT/grad-check-native.log" 2>&1 ||
  fail "grad-check.mjs (grad-check-native.log)"
tail_to_summary "$OUT/grad-check-native.log" 22
say "dist-bench/fast-check.js on $DEVICE (fast-check.log)"
node dist-bench/fast-check.js --device $DEVICE --networks "$NETS" --models "$MODELS" >"$LOGS/fast-check.log" 2>&1 || fail "fast-check (logs.tgz: fast-check.log)"
tail_to_summary "$LOGS/fast-check.log" 10
if [ "$DEVICE" = cuda ]; then
  say "bench/cuda-check.mjs: CUDA vs CPU features, gradients, a super-resolution step (cuda-check.log)"
  DPL_TORCH_MODELS=$MODELS node bench/cuda-check.mjs "$NETS" >"$LOGS/cuda-check.log" 2>&1 || fail "cuda-check (logs.tgz: cuda-check.log)"
  tail_to_summary "$LOGS/cuda-check.log" 9
fi

# 5b. DeviceTensors vs FloatTensors vs Python through the public API, at defaults (fp32; PyTorch's
# TF32 default on both sides). Before step 6, so the time budget does not skip it. A dry run
# keeps it small (the CPU is slow at batch 16, 224x224).
if [ "$DEVICE" = cuda ]; then DT_ARGS=(--networks "$NETS" --batch "${BATCH:-16}" --size "${SIZE:-224}" --reps "$REPS" --warmup 3)
else DT_ARGS=(--networks alexnet,resnet18 --batch 2 --size 64 --reps 1 --warmup 1); fi
say "bench on $DEVICE: the public API's loss step, DeviceTensors (api-device) vs FloatTensors (api) vs Python (logs.tgz: device-tensor.log)"
node dist-bench/run.js --device "$DEVICE" --variants api,api-device --models "$MODELS" "${DT_ARGS[@]}" --json "$LOGS/device-tensor.json" \
  >"$LOGS/device-tensor.log" 2>&1 || fail "bench api vs api-device (logs.tgz: device-tensor.log)"
tail_to_summary "$LOGS/device-tensor.log" 9

# 6. The bench, while the time lasts (each amp takes about a minute on an H200).
for amp in none bf16 fp16; do
  if [ "$DEVICE" != cuda ] || [ "$SECONDS" -gt "${BENCH_BUDGET:-330}" ]; then say "bench at amp $amp skipped (device $DEVICE, ${SECONDS}s used of BENCH_BUDGET ${BENCH_BUDGET:-330})"; continue; fi
  say "bench on CUDA, amp $amp (logs.tgz: bench-$amp.log)"
  node dist-bench/run.js --device cuda --amp "$amp" --networks "$NETS" --models "$MODELS" --reps "$REPS" --warmup 5 \
    --variants api,plain,fast,fast-cl,fast-nchw --batch "${BATCH:-16}" --size "${SIZE:-224}" --json "$LOGS/bench-$amp.json" \
    >"$LOGS/bench-$amp.log" 2>&1 || fail "bench amp $amp (logs.tgz: bench-$amp.log)"
  tail_to_summary "$LOGS/bench-$amp.log" 12
done
finish
