// A trainer's checkpoint file, one format for every benchmark model: the kind
// of model and the integers that shape it (checked on load, so a file never
// loads into a model it does not fit), the model's parameters and buffers, and
// optionally its optimiser's state. Call on the tensor worker.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace dpl {

// Integers that must be equal in the file and in the model that loads it (e.g. {"factor", 4}).
using CheckpointTags = std::vector<std::pair<std::string, int64_t>>;

// Writes `model` (and `optimizer`'s state unless it is null) to `path`.
void SaveCheckpoint(const std::string& path, const std::string& kind, const CheckpointTags& tags,
                    torch::nn::Module& model, torch::optim::Optimizer* optimizer);

// Restores what SaveCheckpoint wrote onto `device`; true when the file held the
// optimiser's state too. Errors name the file, what it holds, and the remedy.
bool LoadCheckpoint(const std::string& path, const std::string& kind, const CheckpointTags& tags,
                    torch::nn::Module& model, torch::optim::Optimizer& optimizer, torch::Device device);

}  // namespace dpl
