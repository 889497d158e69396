// A perceptual similarity on a loss network (models/similarity.h on top of its
// features) and its training: one Adam step on a batch of 2AFC triplets,
// checkpoints with the optimiser state and the dropout stream. Plain C++; the
// N-API side is in bindings/similarity.cpp.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "loss_network.h"
#include "models/similarity.h"

namespace dpl {

struct SimilarityOptions {
  std::vector<int64_t> layers;
  std::vector<Branch> branches;  // from `compare`: spatial | mean | sort | spatial+mean | spatial+sort
  bool channel_norm = true;
  bool learned = false;     // per-channel weights (else a plain channel sum)
  bool trainable = false;   // tune/scratch: the trunk trains too
  uint64_t seed = 0;        // init of channel weights and judge; dropout stream
  int64_t probe_size = 64;  // image side for the channel-count probe
};

struct Similarity {
  std::shared_ptr<LossNet> net;
  SimilarityOptions opts;
  std::vector<int64_t> channels;  // per layer
  SimilarityHead head{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer;
  torch::Tensor rng_state;  // CPU generator state used for this model's randomness

  // Probes the channel counts and builds the seeded head (call on the tensor thread).
  Similarity(std::shared_ptr<LossNet> net, SimilarityOptions opts);

  // D(a, b) per image, shape [N]. `training` enables channel dropout.
  torch::Tensor Distance(const torch::Tensor& a, const torch::Tensor& b, bool training);
  torch::Tensor DistanceFromFeatures(const std::vector<torch::Tensor>& fa, const std::vector<torch::Tensor>& fb,
                                     bool training);
  // Judge probability that p1 was chosen, from d0, d1 ([N] each) -> [N].
  torch::Tensor Judge(const torch::Tensor& d0, const torch::Tensor& d1);
  // Parameters the optimiser updates, in a fixed order (checkpoints rely on it).
  std::vector<torch::Tensor> Parameters() const;
  // One Adam step on a batch of triplets; returns {BCE, grad norm}.
  std::pair<double, double> TrainStep(const torch::Tensor& ref, const torch::Tensor& p0, const torch::Tensor& p1,
                                      const torch::Tensor& judge, double lr);
  void SaveCheckpoint(const std::string& path, const std::string& meta) const;
  std::string LoadCheckpoint(const std::string& path);
};

}  // namespace dpl
