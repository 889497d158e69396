// The guard before every optimiser step: a NaN or infinite loss or gradient
// would be written into the weights by the step and poison every later one, so
// it is refused before the step, with the weights left as they were.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace dpl {

// Throws a UserError naming `what` when the loss or any defined gradient of
// `params` is not finite. Returns the loss value.
double RequireFiniteUpdate(const torch::Tensor& loss, const std::vector<torch::Tensor>& params, const std::string& what);

}  // namespace dpl
