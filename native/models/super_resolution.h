// The super-resolution transformation network (Johnson et al. 2016) and its
// trainer: Adam on the deep perceptual loss of one frozen loss-network layer.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>

#include "loss_network.h"

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

struct SrTrainer {
  int64_t factor = 4;
  int64_t layer = 0;
  double pixel_weight = 0, tv_weight = 0;
  torch::Device device{torch::kCPU};
  SrNet net{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer;
  std::shared_ptr<LossNet> loss_net;  // null: pixel-loss baseline
  // Parameters with a gradient after the last step: SR network, loss network (must stay 0).
  int64_t sr_with_grad = 0, loss_with_grad = 0;
};

void InitSuperResolution(Napi::Env env, Napi::Object exports);

}  // namespace dpl
