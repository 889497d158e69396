// The super-resolution transformation network (Johnson et al. 2016).
#pragma once
#include <torch/torch.h>

namespace dpl {

// x4: ConvBlock(3->64, 9) -> 4 Residual(64) -> 2 UpBlock -> ConvBlock(64->3, 9) -> (tanh+1)/2.
// x8 has a third UpBlock. Reflection padding of k//2 before every convolution.
struct SrNetImpl : torch::nn::Module {
  explicit SrNetImpl(int64_t factor);
  torch::Tensor forward(torch::Tensor x);
  int64_t factor;
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(SrNet);

}  // namespace dpl
