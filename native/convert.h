// Crossing the boundary: JS `{ data, shape }` objects to tensors and back.
// Float tensors travel as Float32Array (NCHW); 8-bit images as Uint8Array (HWC).
// Everything is checked on the JS thread, before any job is queued.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace dpl {

// Copies a `{ data: Float32Array, shape: number[] }` into a CPU float tensor.
// `rank` > 0 demands that many dimensions. `what` names the argument in errors.
// `pinned`: the copy goes into page-locked (pinned) memory, so that its upload to a
// CUDA device is a direct DMA that `.to(device, /*non_blocking=*/true)` need not wait
// for (LibTorch's pinned allocator keeps the block until the copy is done). Only for
// a tensor bound for CUDA: a CPU-only LibTorch has no pinned allocator.
torch::Tensor FloatTensorFromJs(const Napi::Value& value, const std::string& what, int rank = 0, bool pinned = false);

// Copies a `{ data: Uint8Array, shape: number[] }` into a CPU uint8 tensor.
torch::Tensor ByteTensorFromJs(const Napi::Value& value, const std::string& what, int rank = 0);

// Fails (ERR_DPL_NAN) naming `what` if the tensor holds NaN or infinity. It computes:
// call it inside a job, on the tensor worker.
void RequireFinite(const torch::Tensor& t, const std::string& what);

// Copies a tensor out to `{ data, shape }`. Runs in finishers, on the JS thread: give
// it CPU tensors that are contiguous and float32 or uint8 (HostCopy, in the job), so
// that it only copies bytes; anything else it converts first, on the JS thread.
Napi::Object TensorToJs(Napi::Env env, const torch::Tensor& t);

// On the tensor worker: `t` as TensorToJs wants it (CPU, contiguous, float32 unless uint8).
// From a CUDA device it lands in pinned memory: a direct DMA, where a copy into
// pageable memory goes through a staging buffer of the driver's.
torch::Tensor HostCopy(const torch::Tensor& t);

// Copies a list of tensors out to a JS array of `{ data, shape }`.
Napi::Array TensorsToJs(Napi::Env env, const std::vector<torch::Tensor>& ts);

// Reads an array of non-negative integers (layer indices, shapes).
std::vector<int64_t> IntListFromJs(const Napi::Value& value, const std::string& what);

// Reads a string argument or throws naming it.
std::string StringFromJs(const Napi::Value& value, const std::string& what);

}  // namespace dpl
