// A probe: a small MLP that reads labels off autoencoder codes (spec:
// autoencoder.md, Probes). Linear layers through `hidden` to `outputs`, with
// LeakyReLU(0.01) after each hidden layer and no output activation.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace dpl {

struct ProbeImpl : torch::nn::Module {
  ProbeImpl(int64_t inputs, const std::vector<int64_t>& hidden, int64_t outputs);
  torch::Tensor forward(const torch::Tensor& x) { return layers->forward(x); }

  // Named "layers" with Sequential indices, as a Python nn.Sequential of the same layers.
  torch::nn::Sequential layers{nullptr};
};
TORCH_MODULE(Probe);

}  // namespace dpl
