// The super-resolution trainer: Adam on the deep perceptual loss of one frozen
// loss-network layer (or the pixel MSE alone). Plain C++; the N-API side is in
// bindings/super_resolution.cpp.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "loss_network.h"
#include "models/parameters.h"
#include "models/super_resolution.h"
#include "steps/gradient_counts.h"

namespace dpl {

struct SrTrainerOptions {
  int64_t factor = 4;
  int64_t layer = 0;
  uint64_t seed = 0;
  double lr = 1e-3;
  double pixel_weight = 0, tv_weight = 0;
  torch::Device device{torch::kCPU};  // used without a loss network; otherwise the network's
};

struct SrEvaluation {
  torch::Tensor output;        // on the CPU
  std::vector<double> losses;  // per-image feature loss, when hr and a loss network were given
};

class SrTrainer {
 public:
  // Builds the seeded network (call on the tensor thread). loss_net null: the pixel-loss baseline.
  SrTrainer(std::shared_ptr<LossNet> loss_net, const SrTrainerOptions& options);

  // One Adam step on [0,1] batches; returns the loss.
  double Step(const torch::Tensor& lr, const torch::Tensor& hr);
  // Eval-mode output, and with hr (and a loss network) the per-image feature loss.
  SrEvaluation Evaluate(const torch::Tensor& lr, const torch::Tensor& hr);
  // The network (and Adam's state) in one archive.
  void Save(const std::string& path, bool with_optimizer);
  // Restores what Save wrote; true when it held Adam's state.
  bool Load(const std::string& path);

  int64_t factor() const { return opts_.factor; }
  // Fixed at creation, so the JS thread may read it while the worker trains.
  int64_t parameter_count() const { return parameter_count_; }
  // After the last step (read on the worker).
  const GradientCounts& gradients() const { return gradients_; }

 private:
  SrTrainerOptions opts_;
  torch::Device device_;
  SrNet net_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::shared_ptr<LossNet> loss_net_;
  int64_t parameter_count_ = 0;
  GradientCounts gradients_;
};

// Checks an lr batch: RGB, finite, sides of at least 5 (the 9x9 reflection pad).
void CheckSrInput(const torch::Tensor& lr);
// Checks that hr is lr upscaled by `factor` with the same batch size.
void CheckSrPair(const torch::Tensor& lr, const torch::Tensor& hr, int64_t factor);

}  // namespace dpl
