// The divergence guard of the training steps: called after backward() and
// before the optimiser's step(), it refuses a step whose loss or gradients are
// not finite, so that NaN never reaches the weights or Adam's moments (checked
// after step() the weights would already be lost).
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "errors.h"

namespace dpl {

// Throws the guard's error: `what` went wrong, and the step was not applied.
[[noreturn]] inline void RefuseStep(const std::string& what) {
  Fail(Code::Nan, what +
                      "; the step was not applied (the weights and the optimiser's state are those from before it). " +
                      "Lower the learning rate or check the inputs");
}

// Throws unless `loss` and every defined gradient of `params` are finite; one
// device sync for all of them.
inline void RequireFiniteStep(const torch::Tensor& loss, const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> ok{torch::isfinite(loss.detach()).all()};
  for (const auto& p : params) {
    if (p.grad().defined()) ok.push_back(torch::isfinite(p.grad()).all());
  }
  if (torch::stack(ok).all().item<bool>()) return;
  double value = loss.item<double>();
  RefuseStep(std::isfinite(value) ? "the training loss is finite but its gradients are not"
                                  : "the training loss is " + std::to_string(value));
}

}  // namespace dpl
