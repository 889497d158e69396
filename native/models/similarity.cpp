#include "models/similarity.h"

#include <cmath>
#include <mutex>

#include "errors.h"

namespace dpl {

std::vector<Branch> ParseCompare(const std::string& compare) {
  if (compare == "spatial") return {Branch::Spatial};
  if (compare == "mean") return {Branch::Mean};
  if (compare == "sort") return {Branch::Sort};
  if (compare == "spatial+mean") return {Branch::Spatial, Branch::Mean};
  if (compare == "spatial+sort") return {Branch::Spatial, Branch::Sort};
  throw UserError("unknown compare '" + compare + "': use spatial, mean, sort, spatial+mean or spatial+sort");
}

namespace {

// The features a branch compares, still shaped (B, C, H', W').
torch::Tensor Transform(const torch::Tensor& f, Branch branch) {
  switch (branch) {
    case Branch::Spatial:
      return f;
    case Branch::Mean:
      return f.mean({2, 3}, /*keepdim=*/true);
    case Branch::Sort:
      // Each channel's H*W values in ascending order, for both images alike.
      return std::get<0>(f.flatten(2).sort(2)).unsqueeze(3);
  }
  return f;
}

// Dropout 0.5 (keep with probability 1/2, scale kept values by 2). On CPU the
// mask comes from uniform floats: LibTorch 1.13's CPU bernoulli_ without MKL
// draws a double per element serially, which made dropout about a fifth of the
// alexnet 'lin' step; uniform_ then lt_ is about 4x faster, with the same
// distribution (P(u < 0.5) = 1/2 exactly for u in [0, 1)). CUDA keeps the
// fused dropout kernel.
torch::Tensor Dropout(const torch::Tensor& z) {
  if (!z.is_cpu()) return torch::dropout(z, 0.5, /*train=*/true);
  return z * torch::rand_like(z).lt_(0.5).mul_(2);
}

}  // namespace

SimilarityHeadImpl::SimilarityHeadImpl(const std::vector<int64_t>& channels, std::vector<Branch> b, bool norm, bool l,
                                       at::Generator gen)
    : branches(std::move(b)), channel_norm(norm), learned(l) {
  if (!learned) return;
  torch::NoGradGuard no_grad;
  // LPIPS's 1x1 conv default init, U(-1/sqrt(C), 1/sqrt(C)), then clamped
  // to >= 0 so that the weights are non-negative from the start.
  for (auto c : channels) {
    for (size_t k = 0; k < branches.size(); ++k) {
      double bound = 1.0 / std::sqrt(static_cast<double>(c));
      auto w = torch::empty({c}).uniform_(-bound, bound, gen).clamp_min_(0);
      weights.push_back(register_parameter("weight" + std::to_string(weights.size()), w));
    }
  }
  judge = torch::nn::Sequential(
      torch::nn::Linear(5, 32), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
      torch::nn::Linear(32, 32), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
      torch::nn::Linear(32, 1), torch::nn::Sigmoid());
  // PyTorch's Linear init, drawn from this model's seeded generator.
  for (auto& m : judge->modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::Linear>()) {
      double bound = 1.0 / std::sqrt(static_cast<double>(lin->options.in_features()));
      lin->weight.uniform_(-bound, bound, gen);
      lin->bias.uniform_(-bound, bound, gen);
    }
  }
  register_module("judge", judge);
  judge->eval();
}

torch::Tensor SimilarityHeadImpl::Distance(const std::vector<torch::Tensor>& fa, const std::vector<torch::Tensor>& fb,
                                           bool training) {
  torch::Tensor total;
  size_t k = 0;
  for (size_t i = 0; i < fa.size(); ++i) {
    for (auto branch : branches) {
      auto ya = Transform(fa[i], branch);
      auto yb = Transform(fb[i], branch);
      if (channel_norm) {
        ya = ya / torch::sqrt(ya.pow(2).sum(1, /*keepdim=*/true) + kNormEps);
        yb = yb / torch::sqrt(yb.pow(2).sum(1, /*keepdim=*/true) + kNormEps);
      }
      auto z = (ya - yb).pow(2);
      torch::Tensor r;
      if (learned) {
        if (training) z = Dropout(z);
        r = (z * weights[k].view({1, -1, 1, 1})).sum(1);
      } else {
        r = z.sum(1);
      }
      r = r.mean({1, 2});
      total = total.defined() ? total + r : r;
      ++k;
    }
  }
  return total;
}

torch::Tensor SimilarityHeadImpl::Judge(const torch::Tensor& d0, const torch::Tensor& d1) {
  Require(!judge.is_empty(), "this similarity has no judge: create it with learned weights");
  auto x = torch::stack({d0, d1, d0 - d1, d0 / (d1 + 0.1), d1 / (d0 + 0.1)}, 1);
  return judge->forward(x).view({-1});
}

}  // namespace dpl
