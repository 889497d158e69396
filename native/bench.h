// Native timing entries for `npm run bench`: a training step repeated on the
// tensor thread with its inputs already on the device, so the timing holds the
// step alone (no JS copies), like the Python side's loop.
#pragma once
#include <napi.h>

namespace dpl {

// On the addon's `internal` object (not API; bench/ and the study's step timing use them):
// benchLossStep(network, a, b, layers, {steps, amp: 'none'|'bf16'|'fp16', threads?})
//   -> Promise<{seconds: number[], loss, grad, threads}>
// benchSetTf32(on) -> Promise<void>: TF32 for CUDA fp32 convolutions and matmuls
void InitBench(Napi::Env env, Napi::Object internal);

}  // namespace dpl
