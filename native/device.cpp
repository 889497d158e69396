#include "device.h"

#include <mutex>

#include "errors.h"

namespace dpl {

int CudaDeviceCount() {
  static int count = 0;
  static std::once_flag once;
  std::call_once(once, [] { count = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; });
  return count;
}

torch::Device ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  Require(name == "cuda" || name.rfind("cuda:", 0) == 0,
          "unknown device '" + name + "': use 'cpu', 'cuda' or 'cuda:N'");
  int64_t index = 0;
  if (name != "cuda") {
    auto digits = name.substr(5);
    Require(!digits.empty() && digits.size() <= 4 && digits.find_first_not_of("0123456789") == std::string::npos,
            "unknown device '" + name + "': use 'cpu', 'cuda' or 'cuda:N'");
    index = std::stoll(digits);
  }
  Require(CudaDeviceCount() > 0,
          "device '" + name +
              "' asked for, but this LibTorch has no usable CUDA (CPU-only build, or no GPU/driver). "
              "Use device 'cpu', or rebuild against a CUDA LibTorch (see README, 'LibTorch with CUDA'); "
              "`npx dpl-torch doctor` shows what was found",
          Code::Device);
  Require(
      index < CudaDeviceCount(),
      "device '" + name + "' does not exist: this machine has " + std::to_string(CudaDeviceCount()) + " CUDA device(s)",
      Code::Device);
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace dpl
