#include "steps/finite.h"

#include <cmath>

#include "errors.h"

namespace dpl {

double RequireFiniteUpdate(const torch::Tensor& loss, const std::vector<torch::Tensor>& params, const std::string& what) {
  const double value = loss.item<double>();
  Require(std::isfinite(value), what + " diverged: the loss was " + std::to_string(value) +
                                    "; the weights were not updated. Lower the learning rate or check the data");
  // One flag on the device and one read back, not one sync per parameter.
  auto ok = torch::ones({}, torch::TensorOptions().dtype(torch::kBool).device(loss.device()));
  for (const auto& p : params) {
    if (p.grad().defined()) ok = ok.logical_and(torch::isfinite(p.grad()).all());
  }
  Require(ok.item<bool>(), what + " diverged: a gradient held NaN or infinity (the loss was " + std::to_string(value) +
                               "); the weights were not updated. Lower the learning rate or check the data");
  return value;
}

}  // namespace dpl
