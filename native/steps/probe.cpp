#include "steps/probe.h"

#include "errors.h"
#include "step_guard.h"

namespace dpl {

CodeSet::CodeSet(const torch::Tensor& c, const torch::Tensor& l, int64_t classes, torch::Device device) {
  codes = c.to(device, torch::kFloat32).contiguous();
  labels = l.to(device, torch::kInt64).contiguous();
  targets = torch::one_hot(labels, classes).to(torch::kFloat32);
}

ProbeTrainer::ProbeTrainer(const ProbeOptions& options) : options_(options) {
  torch::manual_seed(options.seed);  // on the tensor worker, so the init is reproducible
  model_ = Probe(options.inputs, options.hidden, options.classes);
  model_->to(options.device);
  optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(options.lr));
}

double ProbeTrainer::TrainEpoch(const CodeSet& set, const torch::Tensor& order, int64_t batch) {
  torch::AutoGradMode grad(true);
  model_->train();
  auto idx = order.to(options_.device, torch::kInt64);
  const int64_t n = idx.size(0);
  double sum = 0;
  for (int64_t start = 0; start < n; start += batch) {
    auto rows = idx.slice(0, start, std::min(n, start + batch));
    auto loss = torch::mse_loss(model_->forward(set.codes.index_select(0, rows)), set.targets.index_select(0, rows));
    optimizer_->zero_grad();
    loss.backward();
    RequireFiniteStep(loss, model_->parameters());
    optimizer_->step();
    sum += loss.item<double>() * static_cast<double>(rows.size(0));
  }
  return sum / static_cast<double>(n);
}

ProbeMetrics ProbeTrainer::Evaluate(const CodeSet& set) {
  model_->eval();
  auto out = model_->forward(set.codes);
  auto diff = (out - set.targets).to(torch::kFloat64);
  ProbeMetrics m;
  m.loss = diff.pow(2).mean().item<double>();
  m.l1 = diff.abs().sum(1).mean().item<double>();
  m.l2 = diff.pow(2).sum(1).sqrt().mean().item<double>();
  m.accuracy = out.argmax(1).eq(set.labels).to(torch::kFloat64).mean().item<double>();
  return m;
}

bool ProbeTrainer::RestoreBest() {
  if (best_.empty()) return false;
  SetModuleState(*model_, best_);
  return true;
}

}  // namespace dpl
