#include "steps/gradient_counts.h"

namespace dpl {

GradientCounts CountGradients(const torch::nn::Module& model, const LossNet* loss_net) {
  GradientCounts c;
  for (const auto& p : model.parameters()) {
    ++c.model;
    c.model_with_grad += p.grad().defined();
  }
  if (loss_net != nullptr) {
    for (const auto& p : loss_net->trunk.parameters()) c.loss_network_with_grad += p.grad().defined();
  }
  return c;
}

}  // namespace dpl
