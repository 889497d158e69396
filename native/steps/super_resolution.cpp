#include "steps/super_resolution.h"

#include "errors.h"
#include "step_guard.h"
#include "steps/checkpoint.h"

namespace dpl {
namespace {

torch::Tensor TotalVariation(const torch::Tensor& x) {
  auto dh = x.slice(2, 1) - x.slice(2, 0, -1);
  auto dw = x.slice(3, 1) - x.slice(3, 0, -1);
  return dh.pow(2).mean() + dw.pow(2).mean();
}

// The smallest LR side the network accepts: the 9x9 reflection pad needs more than 4 pixels.
constexpr int64_t kMinLrSide = 5;

}  // namespace

void CheckSrInput(const torch::Tensor& lr) {
  CheckImageBatch(lr, "lr");
  Require(lr.size(2) >= kMinLrSide && lr.size(3) >= kMinLrSide,
          "lr images must be at least 5x5 (the 9x9 reflection padding needs it), got " + std::to_string(lr.size(2)) +
              "x" + std::to_string(lr.size(3)),
          Code::Shape);
}

void CheckSrPair(const torch::Tensor& lr, const torch::Tensor& hr, int64_t factor) {
  CheckSrInput(lr);
  CheckImageBatch(hr, "hr");
  Require(hr.size(0) == lr.size(0) && hr.size(2) == lr.size(2) * factor && hr.size(3) == lr.size(3) * factor,
          "hr must be lr upscaled by " + std::to_string(factor) + " with the same batch size: lr " +
              c10::str(lr.sizes()) + ", hr " + c10::str(hr.sizes()),
          Code::Shape);
}

SrTrainer::SrTrainer(std::shared_ptr<LossNet> loss_net, const SrTrainerOptions& options)
    : opts_(options), device_(loss_net ? loss_net->device : options.device), loss_net_(std::move(loss_net)) {
  torch::manual_seed(opts_.seed);  // on the tensor thread, so the init is reproducible
  net_ = SrNet(opts_.factor);
  net_->to(device_);
  optimizer_ = std::make_unique<torch::optim::Adam>(net_->parameters(), torch::optim::AdamOptions(opts_.lr));
  parameter_count_ = CountParameters(*net_);
}

double SrTrainer::Step(const torch::Tensor& lr, const torch::Tensor& hr) {
  auto x = lr.to(device_), y = hr.to(device_);
  torch::Tensor target;
  if (loss_net_) target = loss_net_->Features(y, {opts_.layer})[0];  // no grad (worker default)
  torch::AutoGradMode grad(true);
  net_->train();
  auto out = net_->forward(x);
  // Without a loss network (the pixel baseline) the loss is the pixel MSE alone.
  auto loss = loss_net_ ? torch::mse_loss(loss_net_->Features(out, {opts_.layer})[0], target) : torch::mse_loss(out, y);
  if (loss_net_ && opts_.pixel_weight > 0) loss = loss + opts_.pixel_weight * torch::mse_loss(out, y);
  if (opts_.tv_weight > 0) loss = loss + opts_.tv_weight * TotalVariation(out);
  optimizer_->zero_grad();
  loss.backward();
  gradients_ = CountGradients(*net_, loss_net_.get());
  RequireFiniteStep(loss, net_->parameters());  // before step(): NaN never reaches the weights
  optimizer_->step();
  return loss.item<double>();
}

SrEvaluation SrTrainer::Evaluate(const torch::Tensor& lr, const torch::Tensor& hr) {
  net_->eval();
  auto out = net_->forward(lr.to(device_));
  SrEvaluation r;
  if (hr.defined() && loss_net_) {
    auto a = loss_net_->Features(out, {opts_.layer})[0];
    auto b = loss_net_->Features(hr.to(device_), {opts_.layer})[0];
    auto per = (a - b).pow(2).flatten(1).mean(1).to(torch::kCPU).to(torch::kFloat64);
    for (int64_t i = 0; i < per.size(0); ++i) r.losses.push_back(per[i].item<double>());
  }
  r.output = out.to(torch::kCPU).contiguous();
  return r;
}

void SrTrainer::Save(const std::string& path, bool with_optimizer) {
  SaveCheckpoint(path, "super-resolution network", {{"factor", opts_.factor}}, *net_,
                 with_optimizer ? optimizer_.get() : nullptr);
}

bool SrTrainer::Load(const std::string& path) {
  return LoadCheckpoint(path, "super-resolution network", {{"factor", opts_.factor}}, *net_, *optimizer_, device_);
}

}  // namespace dpl
