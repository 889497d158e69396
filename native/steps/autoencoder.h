// Training the autoencoder (spec: autoencoder.md): the model, its Adam
// optimiser and the loss, as plain C++ (the N-API side is bindings/autoencoder.cpp).
// Every method runs on the tensor worker.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "loss_network.h"
#include "models/autoencoder.h"
#include "steps/gradient_counts.h"
#include "steps/module_state.h"

namespace dpl {

struct AutoencoderOptions {
  // The model's input side (64 for SVHN, 96 for STL-10).
  int64_t side = 64;
  // Reflection padding added on every side of the stored images (16 for SVHN's 32x32).
  int64_t pad = 0;
  int64_t code_size = 64;
  // The loss network layer compared (ignored for the pixel-loss baseline).
  int64_t layer = 0;
  double lr = 1e-3;
  uint64_t seed = 0;
  torch::Device device{torch::kCPU};
};

struct AutoencoderEvaluation {
  // Per image: the loss of the training step (mean over feature or pixel elements).
  torch::Tensor losses;
  // With want_images: the model's [0,1] input (padded) and its reconstruction, on the CPU.
  torch::Tensor input, output;
};

class AutoencoderTrainer {
 public:
  // Builds the seeded model. loss_net null: the pixel-MSE baseline.
  AutoencoderTrainer(std::shared_ptr<LossNet> loss_net, const AutoencoderOptions& options);

  // One Adam step on uint8 images [N, 3, side - 2 pad, side - 2 pad] (train mode); returns the loss.
  double Step(const torch::Tensor& images);
  // The loss per image in eval mode, without gradients.
  AutoencoderEvaluation Evaluate(const torch::Tensor& images, bool want_images);
  // Codes [N, code_size] in eval mode, without gradients, on the CPU.
  torch::Tensor Encode(const torch::Tensor& images);

  // The model (and with with_optimizer Adam's state) in one archive.
  void Save(const std::string& path, bool with_optimizer);
  // Restores what Save wrote; true if the file held Adam's state too.
  bool Load(const std::string& path);

  NamedTensors State() const { return ModuleState(*model_); }
  void SetState(const NamedTensors& state) { SetModuleState(*model_, state); }

  // Throws a UserError unless `images` is uint8 [N, 3, side - 2 pad, side - 2 pad]
  // (reads only the options: safe on the JS thread before scheduling).
  void CheckImages(const torch::Tensor& images, const std::string& what) const;

  // Fixed at creation, so the JS thread may read it while the worker trains.
  int64_t parameter_count() const { return parameter_count_; }
  // After the last step (read on the worker).
  const GradientCounts& gradients() const { return gradients_; }
  const AutoencoderOptions& options() const { return options_; }
  bool pixel() const { return loss_net_ == nullptr; }

 private:
  // uint8 [N, 3, h, w] -> [0,1] float on the device, reflection-padded to the model's side.
  torch::Tensor Prepare(const torch::Tensor& images) const;
  // Per-image loss of `output` against `input` (their loss-network features, or pixels).
  torch::Tensor PerImageLoss(const torch::Tensor& output, const torch::Tensor& input) const;

  AutoencoderOptions options_;
  std::shared_ptr<LossNet> loss_net_;
  Autoencoder model_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  int64_t parameter_count_ = 0;
  GradientCounts gradients_;
};

}  // namespace dpl
