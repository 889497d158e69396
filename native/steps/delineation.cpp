#include "steps/delineation.h"

#include "errors.h"
#include "models/parameters.h"
#include "step_guard.h"
#include "steps/checkpoint.h"

namespace dpl {
namespace F = torch::nn::functional;

void CheckDelineationBatch(const torch::Tensor& images, const torch::Tensor& masks, bool training) {
  CheckImageBatch(images, "images");
  auto h = images.size(2), w = images.size(3);
  if (training) {
    Require(h % kUNetMultiple == 0 && w % kUNetMultiple == 0,
            "training images must have sides divisible by 16 (the U-Net halves them four times), got " +
                std::to_string(h) + "x" + std::to_string(w),
            Code::Shape);
  } else {
    Require(h >= kUNetMultiple && w >= kUNetMultiple,
            "images must be at least 16x16 (they are reflect-padded to a multiple of 16), got " + std::to_string(h) +
                "x" + std::to_string(w),
            Code::Shape);
  }
  if (!masks.defined()) return;
  Require(masks.dim() == 4 && masks.size(0) == images.size(0) && masks.size(1) == 1 && masks.size(2) == h &&
              masks.size(3) == w,
          "masks must be shaped [N, 1, H, W] like the images " + c10::str(images.sizes()) + ", got " +
              c10::str(masks.sizes()),
          Code::Shape);
  Require(masks.min().item<float>() >= 0 && masks.max().item<float>() <= 1,
          "mask values must lie in [0, 1] (NaN included: check the mask files)");
}

DelineationTrainer::DelineationTrainer(std::shared_ptr<LossNet> loss_net, const DelineationOptions& options)
    : opts_(options), device_(loss_net ? loss_net->device : options.device), loss_net_(std::move(loss_net)) {
  torch::manual_seed(opts_.seed);  // on the tensor thread, so the init is reproducible
  unet_ = DelineationUNet();
  unet_->to(device_);
  optimizer_ = std::make_unique<torch::optim::Adam>(unet_->parameters(), torch::optim::AdamOptions(opts_.lr));
  parameter_count_ = CountParameters(*unet_);
}

namespace {
// BCE refuses NaN probabilities (and on CUDA asserts inside the kernel): check them first, in one sync.
bool AllFinite(const std::vector<torch::Tensor>& ts) {
  std::vector<torch::Tensor> ok;
  for (const auto& t : ts) ok.push_back(torch::isfinite(t).all());
  return ok.empty() || torch::stack(ok).all().item<bool>();
}
}  // namespace

// sum_i i * BCE(y_i, y) / (K(K+1)/2) + mu * sum_i i * MSE(F(y_i), F(y)) / (K(K+1)/2).
torch::Tensor DelineationTrainer::Loss(const std::vector<torch::Tensor>& outputs, const torch::Tensor& masks) {
  const auto k = static_cast<int64_t>(outputs.size());
  const double norm = k * (k + 1) / 2.0;
  torch::Tensor bce;
  for (int64_t i = 0; i < k; ++i) {
    auto term = torch::binary_cross_entropy(outputs[i], masks) * static_cast<double>(i + 1);
    bce = bce.defined() ? bce + term : term;
  }
  auto loss = bce / norm;
  if (!loss_net_ || opts_.feature_weight == 0) return loss;
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = loss_net_->Features(masks.repeat({1, 3, 1, 1}), {opts_.layer})[0];
  }
  // The K predictions go through the loss network as one batch (eval mode: no
  // image affects another), then split back per iteration.
  auto n = masks.size(0);
  auto feats = loss_net_->Features(torch::cat(outputs, 0).repeat({1, 3, 1, 1}), {opts_.layer})[0];
  torch::Tensor feat;
  for (int64_t i = 0; i < k; ++i) {
    auto term = torch::mse_loss(feats.narrow(0, i * n, n), target) * static_cast<double>(i + 1);
    feat = feat.defined() ? feat + term : term;
  }
  return loss + opts_.feature_weight * (feat / norm);
}

double DelineationTrainer::Step(const torch::Tensor& images, const torch::Tensor& masks) {
  auto x = images.to(device_), y = masks.to(device_);
  // The forward pass moves BatchNorm's running statistics: keep them (a few hundred numbers), so that
  // a refused step leaves the whole model as it was.
  std::vector<torch::Tensor> saved;
  for (const auto& b : unet_->buffers()) saved.push_back(b.clone());
  torch::AutoGradMode grad(true);
  unet_->train();
  torch::Tensor loss;
  try {
    auto outputs = unet_->Refine(x, opts_.iterations);
    if (!AllFinite(outputs)) RefuseStep("the U-Net's output is not finite");
    loss = Loss(outputs, y);
    optimizer_->zero_grad();
    loss.backward();
    gradients_ = CountGradients(*unet_, loss_net_.get());
    RequireFiniteStep(loss, unet_->parameters());  // before step(): NaN never reaches the weights
  } catch (...) {
    torch::NoGradGuard no_grad;
    auto buffers = unet_->buffers();
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
    throw;
  }
  optimizer_->step();
  return loss.item<double>();
}

namespace {
// Reflect-pads the bottom and right of [N,C,H,W] up to multiples of 16.
torch::Tensor PadToMultiple(const torch::Tensor& x) {
  auto ph = (kUNetMultiple - x.size(2) % kUNetMultiple) % kUNetMultiple;
  auto pw = (kUNetMultiple - x.size(3) % kUNetMultiple) % kUNetMultiple;
  if (ph == 0 && pw == 0) return x;
  return F::pad(x, F::PadFuncOptions({0, pw, 0, ph}).mode(torch::kReflect));
}
}  // namespace

DelineationEvaluation DelineationTrainer::Evaluate(const torch::Tensor& images, const torch::Tensor& masks) {
  torch::NoGradGuard no_grad;
  unet_->eval();
  auto h = images.size(2), w = images.size(3);
  auto outs = unet_->Refine(PadToMultiple(images.to(device_)), opts_.iterations);
  auto p = outs.back().narrow(2, 0, h).narrow(3, 0, w);
  Require(AllFinite({p}), "the U-Net's output is not finite: its weights hold NaN or infinity (a damaged checkpoint?)",
          Code::Nan);
  DelineationEvaluation r;
  if (masks.defined()) {
    auto per = torch::binary_cross_entropy(p, masks.to(device_), {}, at::Reduction::None)
                   .flatten(1)
                   .mean(1)
                   .to(torch::kCPU, torch::kFloat64);
    for (int64_t i = 0; i < per.size(0); ++i) r.bce.push_back(per[i].item<double>());
  }
  r.probabilities = p.to(torch::kCPU).contiguous();
  return r;
}

DelineationInspection DelineationTrainer::Inspect(const torch::Tensor& images, const torch::Tensor& masks) {
  torch::AutoGradMode grad(true);
  unet_->eval();  // no BatchNorm statistics change
  auto x = images.to(device_);
  auto prior = torch::zeros({x.size(0), 1, x.size(2), x.size(3)}, x.options()).requires_grad_(true);
  DelineationInspection r;
  auto outs = unet_->Refine(x, opts_.iterations, prior, &r.skips);
  auto loss = torch::binary_cross_entropy(outs.back(), masks.to(device_));
  auto g = torch::autograd::grad({loss}, {prior}, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                 /*allow_unused=*/true)[0];
  r.prior_grad_norm = g.defined() ? g.norm().item<double>() : 0.0;
  for (auto& t : r.skips.made) t = t.cpu();
  for (auto& t : r.skips.after) t = t.cpu().clone();
  return r;
}

void DelineationTrainer::Save(const std::string& path, bool with_optimizer) {
  SaveCheckpoint(path, "delineation U-Net", {}, *unet_, with_optimizer ? optimizer_.get() : nullptr);
}

bool DelineationTrainer::Load(const std::string& path) {
  return LoadCheckpoint(path, "delineation U-Net", {}, *unet_, *optimizer_, device_);
}

}  // namespace dpl
