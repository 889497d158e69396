// Deep perceptual similarity (LPIPS-style) on any loss network: per-layer
// channel-normalised squared feature differences, reduced over channels (plain
// sum or learned non-negative weights) and space, summed over layers. Also the
// judge network and one Adam step for training on 2AFC triplets.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "loss_network.h"

namespace dpl {

// One comparison of a layer's features: the features as they are, their
// spatial means, or each channel's values sorted.
enum class Branch { Spatial, Mean, Sort };

struct SimilarityOptions {
  std::vector<int64_t> layers;
  std::vector<Branch> branches;  // from `compare`: spatial | mean | sort | spatial+mean | spatial+sort
  bool channel_norm = true;
  bool learned = false;    // per-channel weights (else a plain channel sum)
  bool trainable = false;  // tune/scratch: the trunk trains too
  uint64_t seed = 0;       // init of channel weights and judge; dropout stream
  int64_t probe_size = 64; // image side for the channel-count probe
};

// eps inside the square root of the channel norm: y / sqrt(sum_c y^2 + eps).
// LPIPS divides by sqrt(sum) + eps, whose gradient is NaN where all channels
// are zero; here the gradient there is at most 1/sqrt(eps) = 1e5 (finite in
// float32), and values differ from LPIPS by < eps/(2 sum) relative.
constexpr double kNormEps = 1e-10;

struct Similarity {
  std::shared_ptr<LossNet> net;
  SimilarityOptions opts;
  std::vector<int64_t> channels;       // per layer
  std::vector<torch::Tensor> weights;  // per (layer, branch), shape [C], when learned
  mutable torch::nn::Sequential judge{nullptr};  // forward() is non-const
  std::unique_ptr<torch::optim::Adam> optimizer;
  torch::Tensor rng_state;  // CPU generator state used for this model's randomness

  Similarity(std::shared_ptr<LossNet> net, SimilarityOptions opts);

  // D(a, b) per image, shape [N]. `training` enables channel dropout.
  torch::Tensor Distance(const torch::Tensor& a, const torch::Tensor& b, bool training) const;
  torch::Tensor DistanceFromFeatures(const std::vector<torch::Tensor>& fa, const std::vector<torch::Tensor>& fb,
                                     bool training) const;
  // Judge probability that p1 was chosen, from d0, d1 ([N] each) -> [N].
  torch::Tensor Judge(const torch::Tensor& d0, const torch::Tensor& d1) const;
  // Parameters the optimiser updates, in a fixed order (checkpoints rely on it).
  std::vector<torch::Tensor> Parameters() const;
  // One Adam step on a batch of triplets; returns {BCE, grad norm}.
  std::pair<double, double> TrainStep(const torch::Tensor& ref, const torch::Tensor& p0, const torch::Tensor& p1,
                                      const torch::Tensor& judge, double lr);
  void SaveCheckpoint(const std::string& path, const std::string& meta) const;
  std::string LoadCheckpoint(const std::string& path);
};

std::vector<Branch> ParseCompare(const std::string& compare);

void InitSimilarity(Napi::Env env, Napi::Object exports);

}  // namespace dpl
