#include "steps/autoencoder.h"

#include "errors.h"
#include "step_guard.h"
#include "steps/checkpoint.h"

namespace dpl {
namespace F = torch::nn::functional;

namespace {
// What a checkpoint must match: the model's side and code size shape its layers.
CheckpointTags Tags(const AutoencoderOptions& o) { return {{"side", o.side}, {"code size", o.code_size}}; }
}  // namespace

AutoencoderTrainer::AutoencoderTrainer(std::shared_ptr<LossNet> loss_net, const AutoencoderOptions& options)
    : options_(options), loss_net_(std::move(loss_net)) {
  Require(options.pad >= 0 && options.side - 2 * options.pad > options.pad,
          "the padding must be non-negative and smaller than the stored images");
  if (loss_net_) {
    CheckLayers({options.layer}, loss_net_->Size());
    options_.device = loss_net_->device;
  }
  torch::manual_seed(options.seed);  // on the tensor worker, so the init is reproducible
  model_ = Autoencoder(options.side, options.code_size);
  model_->to(options_.device);
  optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(),
                                                    torch::optim::AdamOptions(options.lr).betas({0.9, 0.999}));
  parameter_count_ = CountParameters(*model_);
}

void AutoencoderTrainer::CheckImages(const torch::Tensor& images, const std::string& what) const {
  const int64_t stored = options_.side - 2 * options_.pad;
  Require(images.scalar_type() == torch::kUInt8, what + " must be 8-bit images (Uint8Array)", Code::Dtype);
  Require(images.dim() == 4 && images.size(1) == 3 && images.size(2) == stored && images.size(3) == stored,
          what + " must be shaped [N, 3, " + std::to_string(stored) + ", " + std::to_string(stored) +
              "] for this autoencoder (side " + std::to_string(options_.side) + ", padding " +
              std::to_string(options_.pad) + "), got " + c10::str(images.sizes()),
          Code::Shape);
}

torch::Tensor AutoencoderTrainer::Prepare(const torch::Tensor& images) const {
  auto x = images.to(options_.device).to(torch::kFloat32).div_(255);
  if (options_.pad > 0) {
    const int64_t p = options_.pad;
    x = F::pad(x, F::PadFuncOptions({p, p, p, p}).mode(torch::kReflect));
  }
  return x;
}

torch::Tensor AutoencoderTrainer::PerImageLoss(const torch::Tensor& output, const torch::Tensor& input) const {
  if (!loss_net_) return (output - input).pow(2).flatten(1).mean(1);
  auto a = loss_net_->Features(output, {options_.layer})[0];
  auto b = loss_net_->Features(input, {options_.layer})[0];
  return (a - b).pow(2).flatten(1).mean(1);
}

double AutoencoderTrainer::Step(const torch::Tensor& images) {
  auto x = Prepare(images);
  torch::Tensor target;
  if (loss_net_) target = loss_net_->Features(x, {options_.layer})[0];  // no grad (the worker's default)
  torch::AutoGradMode grad(true);
  model_->train();
  auto out = model_->forward(x);
  auto loss =
      loss_net_ ? torch::mse_loss(loss_net_->Features(out, {options_.layer})[0], target) : torch::mse_loss(out, x);
  optimizer_->zero_grad();
  loss.backward();
  gradients_ = CountGradients(*model_, loss_net_.get());
  RequireFiniteStep(loss, model_->parameters());
  optimizer_->step();
  return loss.item<double>();
}

AutoencoderEvaluation AutoencoderTrainer::Evaluate(const torch::Tensor& images, bool want_images) {
  model_->eval();
  auto x = Prepare(images);
  auto out = model_->forward(x);
  AutoencoderEvaluation r;
  r.losses = PerImageLoss(out, x).to(torch::kCPU, torch::kFloat64);
  if (want_images) {
    r.input = x.to(torch::kCPU).contiguous();
    r.output = out.to(torch::kCPU).contiguous();
  }
  return r;
}

torch::Tensor AutoencoderTrainer::Encode(const torch::Tensor& images) {
  model_->eval();
  return model_->Encode(Prepare(images)).to(torch::kCPU).contiguous();
}

void AutoencoderTrainer::Save(const std::string& path, bool with_optimizer) {
  SaveCheckpoint(path, "autoencoder", Tags(options_), *model_, with_optimizer ? optimizer_.get() : nullptr);
}

bool AutoencoderTrainer::Load(const std::string& path) {
  return LoadCheckpoint(path, "autoencoder", Tags(options_), *model_, *optimizer_, options_.device);
}

}  // namespace dpl
