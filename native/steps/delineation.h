// The road-delineation trainer (delineation.md): the U-Net refined K times,
// Adam on the iteration-weighted BCE plus mu times the iteration-weighted
// feature MSE of one frozen loss-network layer (the mask repeated to 3
// channels; the loss network normalises). Plain C++; the N-API side is in
// bindings/delineation.cpp.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "loss_network.h"
#include "models/delineation.h"
#include "steps/gradient_counts.h"
#include "steps/module_state.h"

namespace dpl {

struct DelineationOptions {
  int64_t layer = 0;
  int64_t iterations = 3;        // K, for training and evaluation
  double feature_weight = 0.01;  // mu; ignored without a loss network (the pixel baseline)
  double lr = 1e-3;
  uint64_t seed = 0;
  torch::Device device{torch::kCPU};  // used without a loss network; otherwise the network's
};

struct DelineationEvaluation {
  torch::Tensor probabilities;  // the last iteration, [N,1,H,W] on the CPU
  std::vector<double> bce;      // per image, when masks were given
};

// Diagnostics of one eval-mode pass (tests): the first iteration's skip
// tensors as made and after the pass, and the norm of the gradient that the
// last iteration's BCE sends back to the first iteration's prior (zeros).
struct DelineationInspection {
  SkipProbe skips;
  double prior_grad_norm = 0;
};

class DelineationTrainer {
 public:
  // Builds the seeded U-Net (call on the tensor thread). loss_net null: the pixel (BCE only) baseline.
  DelineationTrainer(std::shared_ptr<LossNet> loss_net, const DelineationOptions& options);

  // One Adam step on images [N,3,S,S] in [0,1] and masks [N,1,S,S] in [0,1]; returns the loss.
  // A non-finite output, loss or gradient throws before the update (step_guard.h), and the
  // BatchNorm statistics its forward pass moved are restored: the model stays as it was.
  double Step(const torch::Tensor& images, const torch::Tensor& masks);
  // Eval mode, K iterations on whole images of any size (reflect-padded to a
  // multiple of 16, the output cropped back); masks (optional) give per-image BCE.
  DelineationEvaluation Evaluate(const torch::Tensor& images, const torch::Tensor& masks);
  DelineationInspection Inspect(const torch::Tensor& images, const torch::Tensor& masks);
  // The U-Net (and Adam's state) in one archive.
  void Save(const std::string& path, bool with_optimizer);
  // Restores what Save wrote; true when it held Adam's state.
  bool Load(const std::string& path);
  // Parameters and buffers by their PyTorch names (down1.conv.weight, ..., up1.bn.running_var), on the CPU.
  NamedTensors State() const { return ModuleState(*unet_); }

  const DelineationOptions& options() const { return opts_; }
  // Fixed at creation, so the JS thread may read it while the worker trains.
  int64_t parameter_count() const { return parameter_count_; }
  // After the last step (read on the worker).
  const GradientCounts& gradients() const { return gradients_; }

 private:
  torch::Tensor Loss(const std::vector<torch::Tensor>& outputs, const torch::Tensor& masks);

  DelineationOptions opts_;
  torch::Device device_;
  DelineationUNet unet_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::shared_ptr<LossNet> loss_net_;
  int64_t parameter_count_ = 0;
  GradientCounts gradients_;
};

// Checks images [N,3,H,W] (finite) and, when defined, masks [N,1,H,W] in [0,1].
// `training`: sides must be multiples of 16; otherwise at least 16.
void CheckDelineationBatch(const torch::Tensor& images, const torch::Tensor& masks, bool training);

}  // namespace dpl
