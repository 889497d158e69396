#include "loss_network.h"

#include <algorithm>
#include <fstream>

#include "autocast.h"
#include "classes.h"
#include "convert.h"
#include "device.h"
#include "device_tensor.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"

namespace dpl {

Normalization ParseNormalization(const std::string& name) {
  if (name == "none") return Normalization::None;
  if (name == "imagenet") return Normalization::ImageNet;
  if (name == "lpips") return Normalization::Lpips;
  Fail(Code::Arg, "unknown normalization '" + name + "': use 'none', 'imagenet' or 'lpips'");
}

std::shared_ptr<LossNet> LossNet::Load(const std::string& path, torch::Device device, Normalization normalization) {
  Require(std::ifstream(path).good(),
          "loss network file '" + path + "' cannot be read; export it with `npx dpl-torch export-networks`",
          Code::File);
  auto net = std::make_shared<LossNet>();
  try {
    net->trunk = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    Fail(Code::File, "'" + path + "' is not a TorchScript module this LibTorch (" + TORCH_VERSION +
                         ") can read: " + e.what_without_backtrace() +
                         ". Re-export it with `npx dpl-torch export-networks` using a Python torch that matches");
  }
  for (const auto& child : net->trunk.children()) net->children.push_back(child);
  Require(!net->children.empty(), "'" + path + "' has no children; it is not a loss-network export", Code::File);
  net->device = device;
  net->normalization = normalization;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  if (normalization == Normalization::ImageNet) {
    net->shift = torch::tensor({0.485f, 0.456f, 0.406f}, opts).view({1, 3, 1, 1});
    net->scale = torch::tensor({0.229f, 0.224f, 0.225f}, opts).view({1, 3, 1, 1});
  } else if (normalization == Normalization::Lpips) {
    net->shift = torch::tensor({-0.030f, -0.088f, -0.188f}, opts).view({1, 3, 1, 1});
    net->scale = torch::tensor({0.458f, 0.448f, 0.450f}, opts).view({1, 3, 1, 1});
  }
  net->SetTrainable(false);
  return net;
}

void LossNet::SetTrainable(bool on) {
  trainable = on;
  if (fast) fast->Clear();  // its frozen copies would keep the weights of before training
  trunk.train(on);
  for (auto p : trunk.parameters()) p.set_requires_grad(on);
}

std::shared_ptr<LossNet> LossNet::Clone() const {
  auto copy = std::make_shared<LossNet>(*this);
  copy->trunk = trunk.clone();  // deep: parameters and buffers are copied
  copy->children.clear();
  for (const auto& child : copy->trunk.children()) copy->children.push_back(child);
  copy->fast = nullptr;
  return copy;
}

torch::Tensor LossNet::Normalize(const torch::Tensor& images) const {
  switch (normalization) {
    case Normalization::None:
      return images;
    case Normalization::ImageNet:
      return (images - shift) / scale;
    case Normalization::Lpips:
      return (images * 2 - 1 - shift) / scale;
  }
  return images;
}

// TorchScript errors carry a script traceback; the cause is on the last line.
std::string LastLine(const std::string& text) {
  auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return text;
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

void CheckLayers(const std::vector<int64_t>& layers, int64_t size) {
  Require(!layers.empty(), "layers must name at least one layer", Code::Layer);
  for (auto l : layers) {
    Require(l < size,
            "layer " + std::to_string(l) + " is past the end of this network: it has " + std::to_string(size) +
                " children, so layers run 0.." + std::to_string(size - 1),
            Code::Layer);
  }
}

void CheckImageShape(const torch::Tensor& images, const std::string& what) {
  Require(images.dim() == 4 && images.size(1) == 3,
          what + " must be a batch of RGB images shaped [N, 3, H, W], got " + c10::str(images.sizes()), Code::Shape);
}

void CheckImageBatch(const torch::Tensor& images, const std::string& what) {
  CheckImageShape(images, what);
  RequireFinite(images, what);
}

std::vector<torch::Tensor> LossNet::Features(const torch::Tensor& images, const std::vector<int64_t>& layers) const {
  CheckLayers(layers, Size());
  if (fast && !trainable) return fast->Features(*this, Normalize(images), layers);
  int64_t deepest = *std::max_element(layers.begin(), layers.end());
  // Only the outputs asked for are kept: without grad every other activation is
  // freed as soon as the next child has read it, so its memory is reused while
  // still in cache.
  std::vector<torch::Tensor> out(layers.size());
  torch::Tensor x = Normalize(images);
  for (int64_t i = 0; i <= deepest; ++i) {
    torch::jit::Module child = children[i];  // a handle; forward() is non-const
    try {
      x = child.forward({x}).toTensor();
    } catch (const std::exception&) {
      // x is still this child's input. TorchScript interpreter errors are not always
      // c10::Error; take the message either way.
      Fail(Code::Shape, "layer " + std::to_string(i) + " of the loss network failed on a feature of shape " +
                            c10::str(x.sizes()) + " (input images " + c10::str(images.sizes()) +
                            "; a larger image may be needed): " + LastLine(DescribeCurrentException()));
    }
    for (size_t j = 0; j < layers.size(); ++j) {
      if (layers[j] == i) out[j] = x;
    }
  }
  return out;
}

LossAndGrad PerceptualLoss(const LossNet& net, const torch::Tensor& a, const torch::Tensor& b,
                           const std::vector<int64_t>& layers, bool l1, bool want_grad,
                           c10::optional<torch::ScalarType> amp) {
  std::vector<torch::Tensor> target;
  {
    // Inference mode, not only no-grad: no version counters or view tracking for the
    // target's pass. Its outputs are inference tensors, which autograd may not save, so
    // the loss below takes a copy of each (one feature map, small beside the pass).
    c10::InferenceMode inference;
    Autocast ac(net.device, amp);
    target = net.Features(b, layers);
  }
  torch::AutoGradMode grad_mode(want_grad);
  auto x = a.detach().requires_grad_(want_grad);
  std::vector<torch::Tensor> feats;
  {
    Autocast ac(net.device, amp);
    feats = net.Features(x, layers);
  }
  torch::Tensor loss;
  for (size_t i = 0; i < feats.size(); ++i) {
    auto f = feats[i].to(torch::kFloat), t = target[i].to(torch::kFloat);
    if (t.is_inference()) t = t.clone();
    auto term = l1 ? torch::l1_loss(f, t) : torch::mse_loss(f, t);
    loss = loss.defined() ? loss + term : term;
  }
  torch::Tensor grad;
  if (want_grad) grad = torch::autograd::grad({loss}, {x})[0];
  return {loss.detach(), grad};
}

namespace {

class LossNetworkWrap : public Napi::ObjectWrap<LossNetworkWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LossNetwork",
                       {InstanceMethod("features", &LossNetworkWrap::FeaturesJs),
                        InstanceMethod("perceptualLoss", &LossNetworkWrap::PerceptualLossJs),
                        InstanceMethod("dispose", &LossNetworkWrap::DisposeJs),
                        InstanceAccessor("size", &LossNetworkWrap::SizeJs, nullptr),
                        InstanceAccessor("device", &LossNetworkWrap::DeviceJs, nullptr),
                        InstanceAccessor("disposed", &LossNetworkWrap::DisposedJs, nullptr)});
  }

  explicit LossNetworkWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<LossNetworkWrap>(info), owned_("loss network") {
    auto state = UnwrapState<LossNet>(info);
    Require(state != nullptr, "use loadLossNetwork() to make a LossNetwork");
    owned_.Reset(state);
  }

  std::shared_ptr<LossNet> State() const { return owned_.Get(); }

 private:
  // features(images, layers) -> Promise<{data, shape}[]>; images a FloatTensor or a DeviceTensor.
  Napi::Value FeaturesJs(const Napi::CallbackInfo& info) {
    auto net = owned_.Get();
    ImageArg images(info[0], "images", net->device);
    auto layers = IntListFromJs(info[1], "layers");
    CheckLayers(layers, net->Size());
    return Schedule(info.Env(), [net, images, layers]() -> Finisher {
      auto feats = net->Features(images.OnDevice(), layers);
      std::vector<torch::Tensor> cpu;
      for (auto& f : feats) cpu.push_back(HostCopy(f));
      return [cpu](Napi::Env env) -> Napi::Value { return TensorsToJs(env, cpu); };
    });
  }

  // perceptualLoss(a, b, layers, distance, wantGrad, gradOnDevice) -> Promise<{loss, grad?}>
  // loss = sum over layers of mean((F(a) - F(b))^2) ('mse') or mean|F(a) - F(b)| ('l1');
  // grad is d loss / d a: a FloatTensor, or with gradOnDevice a DeviceTensor on the
  // network's device. a and b: FloatTensors or DeviceTensors.
  Napi::Value PerceptualLossJs(const Napi::CallbackInfo& info) {
    auto net = owned_.Get();
    ImageArg a(info[0], "a", net->device);
    ImageArg b(info[1], "b", net->device);
    Require(a.sizes() == b.sizes(),
            "a and b must have the same shape, got " + c10::str(a.sizes()) + " and " + c10::str(b.sizes()),
            Code::Shape);
    auto layers = IntListFromJs(info[2], "layers");
    CheckLayers(layers, net->Size());
    auto distance = StringFromJs(info[3], "distance");
    Require(distance == "mse" || distance == "l1", "distance must be 'mse' or 'l1', got '" + distance + "'");
    bool want_grad = info[4].ToBoolean();
    bool grad_on_device = info[5].ToBoolean();
    return Schedule(info.Env(), [net, a, b, layers, distance, want_grad, grad_on_device]() -> Finisher {
      auto ta = a.OnDevice();
      auto tb = b.OnDevice();
      auto r = PerceptualLoss(*net, ta, tb, layers, distance == "l1", want_grad);
      torch::Tensor grad;
      if (want_grad) grad = grad_on_device ? r.grad.contiguous() : HostCopy(r.grad);
      double value = r.loss.item<double>();
      return [value, grad, grad_on_device](Napi::Env env) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("loss", Napi::Number::New(env, value));
        if (grad.defined()) out.Set("grad", grad_on_device ? NewDeviceTensor(env, grad) : TensorToJs(env, grad));
        return out;
      };
    });
  }

  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value SizeJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->Size()));
  }
  Napi::Value DeviceJs(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), owned_.Get()->device.str());
  }
  Napi::Value DisposedJs(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), owned_.Disposed()); }

  Owned<LossNet> owned_;
};

// loadLossNetwork(path, device, normalization) -> Promise<LossNetwork>
Napi::Value LoadLossNetworkJs(const Napi::CallbackInfo& info) {
  auto path = StringFromJs(info[0], "path");
  auto device = ParseDevice(StringFromJs(info[1], "device"));
  auto normalization = ParseNormalization(StringFromJs(info[2], "normalization"));
  return Schedule(info.Env(), [path, device, normalization]() -> Finisher {
    auto net = LossNet::Load(path, device, normalization);
    return [net](Napi::Env env) -> Napi::Value { return NewWrapped(env, "LossNetwork", net); };
  });
}

}  // namespace

std::shared_ptr<LossNet> LossNetFromJs(const Napi::Value& value, const std::string& what) {
  Require(value.IsObject(), what + " must be a LossNetwork");
  auto obj = value.As<Napi::Object>();
  Require(IsInstanceOf(obj.Env(), "LossNetwork", obj), what + " must be a LossNetwork");
  return Napi::ObjectWrap<LossNetworkWrap>::Unwrap(obj)->State();
}

void InitLossNetwork(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "LossNetwork", LossNetworkWrap::Define(env));
  exports.Set("loadLossNetwork", Napi::Function::New(env, LoadLossNetworkJs));
}

}  // namespace dpl
