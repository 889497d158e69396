#include "steps/module_state.h"

#include <unordered_map>

#include "errors.h"

namespace dpl {

NamedTensors ModuleState(const torch::nn::Module& module, torch::Device device) {
  NamedTensors out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value().detach().to(device, true, true));
  for (const auto& b : module.named_buffers()) out.emplace_back(b.key(), b.value().detach().to(device, true, true));
  return out;
}

void SetModuleState(torch::nn::Module& module, const NamedTensors& state) {
  std::unordered_map<std::string, torch::Tensor> by_name(state.begin(), state.end());
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    auto it = by_name.find(name);
    Require(it != by_name.end(), "the state has no '" + name + "'");
    // A scalar buffer (BatchNorm's num_batches_tracked) may come as one element of shape [1].
    const bool same = it->second.sizes() == target.sizes() || (target.dim() == 0 && it->second.numel() == 1);
    Require(
        same,
        "'" + name + "' is shaped " + c10::str(it->second.sizes()) + ", the model needs " + c10::str(target.sizes()),
        Code::Shape);
    target.copy_(it->second.reshape(target.sizes()));
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
}

}  // namespace dpl
