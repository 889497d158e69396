// Counting a module's trainable elements (the figure the specs quote).
#pragma once
#include <torch/torch.h>

namespace dpl {

inline int64_t CountParameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace dpl
