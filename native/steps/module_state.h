// A module's parameters and buffers by name, out and back in: for comparisons
// with Python (the same state dict on both sides) and for keeping a best epoch
// in memory.
#pragma once
#include <torch/torch.h>

#include "models/parameters.h"  // CountParameters, for the modules' users

#include <string>
#include <utility>
#include <vector>

namespace dpl {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Detached copies of every parameter and buffer, on `device`.
NamedTensors ModuleState(const torch::nn::Module& module, torch::Device device = torch::kCPU);

// Copies `state` into the module's parameters and buffers (cast to each one's
// dtype and device). Every name of the module must be there with its shape.
void SetModuleState(torch::nn::Module& module, const NamedTensors& state);

}  // namespace dpl
