// A loss network: the ordered children of a torchvision trunk, exported as a
// TorchScript nn.Sequential. Features at any set of layers come from one pass
// that stops at the deepest layer asked for.
#pragma once
#include <napi.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "fast_path.h"

namespace dpl {

enum class Normalization { None, ImageNet, Lpips };
Normalization ParseNormalization(const std::string& name);

struct LossNet {
  torch::jit::Module trunk;
  std::vector<torch::jit::Module> children;
  torch::Device device{torch::kCPU};
  Normalization normalization = Normalization::None;
  torch::Tensor shift, scale;  // on `device`; x -> (x - shift) / scale after any LPIPS remap
  bool trainable = false;
  std::shared_ptr<FastPath> fast;  // set by enableFastPath; used while frozen (fast_path.h)

  // Loads `path` onto `device`, frozen and in eval mode.
  static std::shared_ptr<LossNet> Load(const std::string& path, torch::Device device, Normalization normalization);

  int64_t Size() const { return static_cast<int64_t>(children.size()); }

  // Applies the input normalisation to [0,1] images (N,3,H,W) already on `device`.
  torch::Tensor Normalize(const torch::Tensor& images) const;

  // Features at `layers` (any order, repeats allowed) of normalised `images`.
  // Gradients flow if grad mode is on. Throws UserError on a bad layer.
  std::vector<torch::Tensor> Features(const torch::Tensor& images, const std::vector<int64_t>& layers) const;

  // Switches between frozen/eval and trainable/train mode (similarity tune, scratch).
  void SetTrainable(bool on);

  // A deep copy with its own parameters and buffers (and no fast path), so a
  // model that trains its trunk (similarity tune, scratch) leaves the caller's
  // network as it was. Call on the tensor worker.
  std::shared_ptr<LossNet> Clone() const;
};

struct LossAndGrad {
  torch::Tensor loss, grad;  // grad is undefined without want_grad
};

// The deep perceptual loss of images `a` against `b` (both [0,1], on the network's
// device): features of `b` without grad, of `a` with grad when `want_grad`, the sum
// over layers of the mean squared (or, with `l1`, absolute) difference in fp32, and
// its gradient with respect to `a`. `amp` runs the feature passes under autocast
// (bench --amp); the loss and the backward stay outside it, as in the Python step.
// One step for the public perceptualLoss and the bench, so the bench times the API.
LossAndGrad PerceptualLoss(const LossNet& net, const torch::Tensor& a, const torch::Tensor& b,
                           const std::vector<int64_t>& layers, bool l1, bool want_grad,
                           c10::optional<torch::ScalarType> amp = c10::nullopt);

// Checks a layer list against a network of `size` children.
void CheckLayers(const std::vector<int64_t>& layers, int64_t size);
// The last line of a TorchScript error (its traceback comes first): the cause.
std::string LastLine(const std::string& text);

// Checks an image batch's shape: (N,3,H,W). Metadata only: fine on the JS thread.
void CheckImageShape(const torch::Tensor& images, const std::string& what);

// CheckImageShape, and that the values are finite (RequireFinite: it computes, so
// on the tensor worker prefer CheckImageShape before Schedule and RequireFinite in the job).
void CheckImageBatch(const torch::Tensor& images, const std::string& what);

// The LossNet behind a JS LossNetwork object, or a clear error.
std::shared_ptr<LossNet> LossNetFromJs(const Napi::Value& value, const std::string& what);

void InitLossNetwork(Napi::Env env, Napi::Object exports);

}  // namespace dpl
