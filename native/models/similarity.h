// The learned part of deep perceptual similarity (LPIPS-style) on any loss
// network's features: per-layer channel-normalised squared feature differences,
// reduced over channels (plain sum or learned non-negative weights) and space,
// summed over layers; and the judge network that turns two distances into the
// chance that the second patch was preferred.
#pragma once
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace dpl {

// One comparison of a layer's features: the features as they are, their
// spatial means, or each channel's values sorted.
enum class Branch { Spatial, Mean, Sort };

std::vector<Branch> ParseCompare(const std::string& compare);

// eps inside the square root of the channel norm: y / sqrt(sum_c y^2 + eps).
// LPIPS divides by sqrt(sum) + eps, whose gradient is NaN where all channels
// are zero; here the gradient there is at most 1/sqrt(eps) = 1e5 (finite in
// float32), and values differ from LPIPS by < eps/(2 sum) relative.
constexpr double kNormEps = 1e-10;

struct SimilarityHeadImpl : torch::nn::Module {
  // `channels`: per layer. With `learned`, one weight vector per (layer, branch),
  // LPIPS's 1x1-conv init clamped to >= 0, and the judge with PyTorch's Linear
  // init, all drawn from `gen` (on the CPU; move the module afterwards).
  SimilarityHeadImpl(const std::vector<int64_t>& channels, std::vector<Branch> branches, bool channel_norm,
                     bool learned, at::Generator gen);

  // D(a, b) per image, shape [N], from the features of a and b at each layer.
  // `training` enables channel dropout (learned weights only).
  torch::Tensor Distance(const std::vector<torch::Tensor>& fa, const std::vector<torch::Tensor>& fb, bool training);
  // Judge probability that p1 was chosen, from d0, d1 ([N] each) -> [N].
  torch::Tensor Judge(const torch::Tensor& d0, const torch::Tensor& d1);

  std::vector<Branch> branches;
  bool channel_norm;
  bool learned;
  std::vector<torch::Tensor> weights;  // per (layer, branch), shape [C], when learned
  torch::nn::Sequential judge{nullptr};
};
TORCH_MODULE(SimilarityHead);

}  // namespace dpl
