#include "models/probe.h"

#include "errors.h"

namespace dpl {
namespace nn = torch::nn;

ProbeImpl::ProbeImpl(int64_t inputs, const std::vector<int64_t>& hidden, int64_t outputs) {
  Require(inputs > 0 && outputs > 0, "a probe needs positive input and output sizes");
  nn::Sequential s;
  int64_t in = inputs;
  for (auto h : hidden) {
    Require(h > 0, "probe hidden layer sizes must be positive, got " + std::to_string(h));
    s->push_back(nn::Linear(in, h));
    s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.01)));
    in = h;
  }
  s->push_back(nn::Linear(in, outputs));
  layers = register_module("layers", s);
}

}  // namespace dpl
