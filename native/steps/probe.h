// Training a probe on autoencoder codes (spec: autoencoder.md, Probes): MSE
// against one-hot labels, Adam with PyTorch's defaults. One call trains a whole
// epoch in a given order, so an epoch costs one crossing from JS, not one per batch.
// Every method runs on the tensor worker.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "models/probe.h"
#include "steps/module_state.h"

namespace dpl {

// Codes and their labels, on the device, shared by every probe trained on them.
struct CodeSet {
  torch::Tensor codes;    // [N, D] float
  torch::Tensor labels;   // [N] int64, 0..classes-1
  torch::Tensor targets;  // [N, classes] one-hot float
  CodeSet(const torch::Tensor& codes, const torch::Tensor& labels, int64_t classes, torch::Device device);
  int64_t size() const { return codes.size(0); }
};

struct ProbeMetrics {
  double loss = 0;      // MSE over all outputs (torch mse_loss)
  double l1 = 0;        // mean over samples of the L1 norm of output - target
  double l2 = 0;        // mean over samples of the L2 norm of output - target
  double accuracy = 0;  // share of samples whose largest output is the label
};

struct ProbeOptions {
  int64_t inputs = 64;
  std::vector<int64_t> hidden;
  int64_t classes = 10;
  double lr = 1e-3;
  uint64_t seed = 0;
  torch::Device device{torch::kCPU};
};

class ProbeTrainer {
 public:
  explicit ProbeTrainer(const ProbeOptions& options);

  // Adam steps over `set` in `order` (int64 indices, CPU), `batch` at a time (the
  // last batch may be smaller). Returns the mean loss over the epoch's samples.
  double TrainEpoch(const CodeSet& set, const torch::Tensor& order, int64_t batch);
  ProbeMetrics Evaluate(const CodeSet& set);

  // The best epoch's weights, kept in memory and put back.
  void KeepBest() { best_ = ModuleState(*model_, options_.device); }
  bool RestoreBest();

  NamedTensors State() const { return ModuleState(*model_); }
  void SetState(const NamedTensors& state) { SetModuleState(*model_, state); }
  int64_t ParameterCount() const { return CountParameters(*model_); }
  const ProbeOptions& options() const { return options_; }

 private:
  ProbeOptions options_;
  Probe model_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  NamedTensors best_;
};

}  // namespace dpl
