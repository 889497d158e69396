// Which parameters received a gradient in a trainer's last step: all of the
// trained model's should, none of the frozen loss network's (tests check both).
#pragma once
#include <torch/torch.h>

#include "loss_network.h"

namespace dpl {

struct GradientCounts {
  int64_t model_with_grad = 0;         // parameter tensors of the trained model with a gradient
  int64_t model = 0;                   // parameter tensors of the trained model
  int64_t loss_network_with_grad = 0;  // parameter tensors of the loss network with a gradient (must be 0)
};

// Counts after backward(); `loss_net` may be null (a pixel-loss baseline).
GradientCounts CountGradients(const torch::nn::Module& model, const LossNet* loss_net);

}  // namespace dpl
