// Device names from JS ('cpu', 'cuda', 'cuda:1') to torch::Device, checked.
#pragma once
#include <torch/torch.h>

#include <string>

namespace dpl {

// Parses and checks that the device exists in this build and on this machine
// (ERR_DPL_ARG for a name that is not a device, ERR_DPL_DEVICE for one not here).
torch::Device ParseDevice(const std::string& name);

// Usable CUDA devices (0 without CUDA): asked of LibTorch once, then fixed for the
// process, so any thread may read it.
int CudaDeviceCount();

}  // namespace dpl
