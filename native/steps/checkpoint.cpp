#include "steps/checkpoint.h"

#include "errors.h"

namespace dpl {

void SaveCheckpoint(const std::string& path, const std::string& kind, const CheckpointTags& tags,
                    torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  archive.write("kind", c10::IValue(kind));
  for (const auto& [name, value] : tags) archive.write("tag." + name, torch::tensor(value));
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer != nullptr) {
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  try {
    archive.save_to(path);
  } catch (const c10::Error& e) {
    throw UserError("cannot write checkpoint '" + path + "': " + e.what_without_backtrace(), Code::File);
  }
}

bool LoadCheckpoint(const std::string& path, const std::string& kind, const CheckpointTags& tags,
                    torch::nn::Module& model, torch::optim::Optimizer& optimizer, torch::Device device) {
  torch::serialize::InputArchive archive, model_archive, optimizer_archive;
  try {
    archive.load_from(path, device);
  } catch (const c10::Error& e) {
    throw UserError("cannot read checkpoint '" + path +
                        "' (missing or corrupt; delete it to start over): " + e.what_without_backtrace(),
                    Code::File);
  }
  c10::IValue held;
  const bool has_kind = archive.try_read("kind", held) && held.isString();
  Require(has_kind && held.toStringRef() == kind,
          "'" + path + "' is not a checkpoint for this " + kind +
              (has_kind ? " (it is for the " + held.toStringRef() + ")" : "") + "; delete it to start over",
          Code::File);
  for (const auto& [name, value] : tags) {
    torch::Tensor t;
    Require(archive.try_read("tag." + name, t),
            "'" + path + "' is not a checkpoint for this " + kind + " (no " + name + "); delete it to start over",
            Code::File);
    Require(t.item<int64_t>() == value,
            "checkpoint '" + path + "' was saved with " + name + " " + std::to_string(t.item<int64_t>()) + ", this " +
                kind + " has " + name + " " + std::to_string(value) + "; delete it to start over",
            Code::File);
  }
  Require(archive.try_read("model", model_archive), "'" + path + "' holds no model; delete it to start over",
          Code::File);
  bool has_optimizer = false;
  try {
    model.load(model_archive);
    has_optimizer = archive.try_read("optimizer", optimizer_archive);
    if (has_optimizer) optimizer.load(optimizer_archive);
  } catch (const c10::Error& e) {
    throw UserError("checkpoint '" + path + "' does not fit this " + kind + " (" + e.what_without_backtrace() +
                        "); delete it to start over",
                    Code::File);
  }
  return has_optimizer;
}

}  // namespace dpl
