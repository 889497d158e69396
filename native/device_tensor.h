// DeviceTensor: a float32 NCHW batch kept on a device ('cpu' or 'cuda[:N]') across
// calls, so a training loop on a GPU does not copy its images in (and gradients out)
// through JS every step. Made by toDevice(tensor, device) or as the gradient of
// perceptualLoss(..., {gradOutput: 'device'}); read back with toHost(). Its values
// never change after it is made (no method writes to it), so the finiteness check the
// loss path makes of every input runs once per DeviceTensor, not once per call.
//
// Memory: dispose() drops the JS side's reference at once (a job still using the
// tensor holds its own until it ends); the memory goes back to LibTorch's allocator
// (on CUDA its cache, reused by later tensors). Without dispose(), only garbage
// collection frees it, which does not see device memory: dispose in loops.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <string>

namespace dpl {

struct DeviceTensorState {
  explicit DeviceTensorState(torch::Tensor t) : tensor(std::move(t)) {}
  const torch::Tensor tensor;  // float32, 4 dims, contiguous, on its device
  bool finite = false;         // checked finite already (read and written on the tensor worker only)
};

// A DeviceTensor JS object for `tensor` (on the JS thread, in a finisher).
Napi::Object NewDeviceTensor(Napi::Env env, torch::Tensor tensor);

// An image batch argument of the loss network path: a `{ data, shape }` FloatTensor,
// copied from JS now (into pinned memory when bound for a CUDA device, so its upload
// is a direct, asynchronous DMA), or a DeviceTensor, used where it is. Read on the JS
// thread, with the checks made there: a batch shaped [N, 3, H, W] (ERR_DPL_SHAPE), a
// DeviceTensor not disposed (ERR_DPL_DISPOSED) and on `device` (ERR_DPL_DEVICE).
class ImageArg {
 public:
  ImageArg(const Napi::Value& value, const std::string& what, torch::Device device);

  c10::IntArrayRef sizes() const;
  // On the tensor worker: the batch on the device, checked finite (ERR_DPL_NAN).
  torch::Tensor OnDevice() const;

 private:
  std::string what_;
  torch::Device device_;
  torch::Tensor host_;                       // a FloatTensor's copy, or
  std::shared_ptr<DeviceTensorState> held_;  // a DeviceTensor's state
};

// toDevice(tensor, device) -> Promise<DeviceTensor>; the DeviceTensor class.
void InitDeviceTensor(Napi::Env env, Napi::Object exports);

}  // namespace dpl
