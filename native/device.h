// Device names from JS ('cpu', 'cuda', 'cuda:1') to torch::Device, checked.
#pragma once
#include <torch/torch.h>

#include <string>

namespace dpl {

// Parses and checks that the device exists in this build and on this machine.
torch::Device ParseDevice(const std::string& name);

}  // namespace dpl
