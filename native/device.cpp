#include "device.h"

#include "errors.h"

namespace dpl {

torch::Device ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  Require(name == "cuda" || name.rfind("cuda:", 0) == 0,
          "unknown device '" + name + "': use 'cpu', 'cuda' or 'cuda:N'");
  Require(torch::cuda::is_available(),
          "device '" + name +
              "' asked for, but this LibTorch has no usable CUDA (CPU-only build, or no GPU/driver). "
              "Use device 'cpu', or rebuild against a CUDA LibTorch (see README, 'LibTorch with CUDA'); "
              "`npx dpl-torch doctor` shows what was found");
  torch::Device device(name);
  int64_t index = device.has_index() ? device.index() : 0;
  Require(index < static_cast<int64_t>(torch::cuda::device_count()),
          "device '" + name + "' does not exist: this machine has " +
              std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace dpl
