#include "models/super_resolution.h"

#include <cmath>

#include "classes.h"
#include "convert.h"
#include "device.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "step_guard.h"

namespace dpl {
namespace nn = torch::nn;

namespace {

enum class Act { None, Relu };

// Reflection pad k//2 -> Conv2d(k, stride 1, bias) -> BatchNorm2d -> optional ReLU.
struct ConvBlockImpl : nn::Module {
  ConvBlockImpl(int64_t in, int64_t out, int64_t k, Act act)
      : pad(register_module("pad", nn::ReflectionPad2d(k / 2))),
        conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, k).bias(true)))),
        bn(register_module("bn", nn::BatchNorm2d(out))),
        relu(act == Act::Relu) {}
  torch::Tensor forward(torch::Tensor x) {
    x = bn->forward(conv->forward(pad->forward(x)));
    return relu ? torch::relu(x) : x;
  }
  nn::ReflectionPad2d pad;
  nn::Conv2d conv;
  nn::BatchNorm2d bn;
  bool relu;
};
TORCH_MODULE(ConvBlock);

// ConvBlock(ReLU) -> ConvBlock(no activation), plus the input; no activation after the sum.
struct ResidualImpl : nn::Module {
  explicit ResidualImpl(int64_t c)
      : a(register_module("a", ConvBlock(c, c, 3, Act::Relu))), b(register_module("b", ConvBlock(c, c, 3, Act::None))) {}
  torch::Tensor forward(torch::Tensor x) { return b->forward(a->forward(x)) + x; }
  ConvBlock a, b;
};
TORCH_MODULE(Residual);

// Nearest-neighbour upsample x2, then ConvBlock(3x3, ReLU).
struct UpBlockImpl : nn::Module {
  UpBlockImpl(int64_t in, int64_t out) : conv(register_module("conv", ConvBlock(in, out, 3, Act::Relu))) {}
  torch::Tensor forward(torch::Tensor x) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
    return conv->forward(x);
  }
  ConvBlock conv;
};
TORCH_MODULE(UpBlock);

}  // namespace

SrNetImpl::SrNetImpl(int64_t f) : factor(f) {
  Require(f == 4 || f == 8, "the super-resolution factor must be 4 or 8, got " + std::to_string(f));
  nn::Sequential s(ConvBlock(3, 64, 9, Act::Relu));
  for (int i = 0; i < 4; ++i) s->push_back(Residual(64));
  for (int64_t up = 1; up < f; up *= 2) s->push_back(UpBlock(64, 64));
  s->push_back(ConvBlock(64, 3, 9, Act::None));
  body = register_module("body", s);
}

torch::Tensor SrNetImpl::forward(torch::Tensor x) { return (torch::tanh(body->forward(x)) + 1) / 2; }

namespace {

int64_t CountParameters(nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

torch::Tensor TotalVariation(const torch::Tensor& x) {
  auto dh = x.slice(2, 1) - x.slice(2, 0, -1);
  auto dw = x.slice(3, 1) - x.slice(3, 0, -1);
  return dh.pow(2).mean() + dw.pow(2).mean();
}

// The smallest LR side the network accepts: the 9x9 reflection pad needs more than 4 pixels.
constexpr int64_t kMinLrSide = 5;

void CheckLr(const torch::Tensor& lr) {
  CheckImageBatch(lr, "lr");
  Require(lr.size(2) >= kMinLrSide && lr.size(3) >= kMinLrSide,
          "lr images must be at least 5x5 (the 9x9 reflection padding needs it), got " +
              std::to_string(lr.size(2)) + "x" + std::to_string(lr.size(3)));
}

void CheckPairShapes(const torch::Tensor& lr, const torch::Tensor& hr, int64_t factor) {
  CheckLr(lr);
  CheckImageBatch(hr, "hr");
  Require(hr.size(0) == lr.size(0) && hr.size(2) == lr.size(2) * factor && hr.size(3) == lr.size(3) * factor,
          "hr must be lr upscaled by " + std::to_string(factor) + " with the same batch size: lr " +
              c10::str(lr.sizes()) + ", hr " + c10::str(hr.sizes()));
}

class SrTrainerWrap : public Napi::ObjectWrap<SrTrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SuperResolutionTrainer",
                       {InstanceMethod("step", &SrTrainerWrap::StepJs),
                        InstanceMethod("evaluate", &SrTrainerWrap::EvaluateJs),
                        InstanceMethod("save", &SrTrainerWrap::SaveJs),
                        InstanceMethod("load", &SrTrainerWrap::LoadJs),
                        InstanceMethod("gradientReport", &SrTrainerWrap::GradientReportJs),
                        InstanceMethod("dispose", &SrTrainerWrap::DisposeJs),
                        InstanceAccessor("parameterCount", &SrTrainerWrap::ParameterCountJs, nullptr),
                        InstanceAccessor("factor", &SrTrainerWrap::FactorJs, nullptr)});
  }

  explicit SrTrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SrTrainerWrap>(info), owned_("trainer") {
    auto state = UnwrapState<SrTrainer>(info);
    Require(state != nullptr, "use createSuperResolutionTrainer() to make a SuperResolutionTrainer");
    owned_.Reset(state);
  }

 private:
  // step(lr, hr) -> Promise<number>: one Adam step on the perceptual loss; returns the loss.
  Napi::Value StepJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto lr = FloatTensorFromJs(info[0], "lr", 4);
    auto hr = FloatTensorFromJs(info[1], "hr", 4);
    CheckPairShapes(lr, hr, t->factor);
    return Schedule(info.Env(), [t, lr, hr]() -> Finisher {
      auto x = lr.to(t->device), y = hr.to(t->device);
      torch::Tensor target;
      if (t->loss_net) target = t->loss_net->Features(y, {t->layer})[0];  // no grad (worker default)
      torch::AutoGradMode grad(true);
      t->net->train();
      auto out = t->net->forward(x);
      // Without a loss network (the pixel baseline) the loss is the pixel MSE alone.
      auto loss = t->loss_net ? torch::mse_loss(t->loss_net->Features(out, {t->layer})[0], target)
                              : torch::mse_loss(out, y);
      if (t->loss_net && t->pixel_weight > 0) loss = loss + t->pixel_weight * torch::mse_loss(out, y);
      if (t->tv_weight > 0) loss = loss + t->tv_weight * TotalVariation(out);
      t->optimizer->zero_grad();
      loss.backward();
      t->sr_with_grad = t->loss_with_grad = 0;
      for (const auto& p : t->net->parameters()) t->sr_with_grad += p.grad().defined();
      if (t->loss_net) {
        for (const auto& p : t->loss_net->trunk.parameters()) t->loss_with_grad += p.grad().defined();
      }
      RequireFiniteStep(loss, t->net->parameters());  // before step(): NaN never reaches the weights
      t->optimizer->step();
      double value = loss.item<double>();
      return [value](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, value); };
    });
  }

  // evaluate(lr, hr?) -> Promise<{output, featureLoss?: number[]}>: eval mode, per-image feature loss.
  Napi::Value EvaluateJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto lr = FloatTensorFromJs(info[0], "lr", 4);
    torch::Tensor hr;
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
      hr = FloatTensorFromJs(info[1], "hr", 4);
      CheckPairShapes(lr, hr, t->factor);
    } else {
      CheckLr(lr);
    }
    return Schedule(info.Env(), [t, lr, hr]() -> Finisher {
      t->net->eval();
      auto out = t->net->forward(lr.to(t->device));
      std::vector<double> losses;
      if (hr.defined() && t->loss_net) {
        auto a = t->loss_net->Features(out, {t->layer})[0];
        auto b = t->loss_net->Features(hr.to(t->device), {t->layer})[0];
        auto per = (a - b).pow(2).flatten(1).mean(1).to(torch::kCPU).to(torch::kFloat64);
        for (int64_t i = 0; i < per.size(0); ++i) losses.push_back(per[i].item<double>());
      }
      auto cpu = out.to(torch::kCPU).contiguous();
      return [cpu, losses](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("output", TensorToJs(env, cpu));
        if (!losses.empty()) {
          auto arr = Napi::Array::New(env, losses.size());
          for (size_t i = 0; i < losses.size(); ++i) arr.Set(i, Napi::Number::New(env, losses[i]));
          o.Set("featureLoss", arr);
        }
        return o;
      };
    });
  }

  // save(path, withOptimizer) -> Promise<void>: network (and Adam state) in one archive.
  Napi::Value SaveJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto path = StringFromJs(info[0], "path");
    bool with_opt = info[1].ToBoolean();
    return Schedule(info.Env(), [t, path, with_opt]() -> Finisher {
      torch::serialize::OutputArchive archive, model, opt;
      archive.write("factor", torch::tensor(t->factor));
      t->net->save(model);
      archive.write("model", model);
      if (with_opt) {
        t->optimizer->save(opt);
        archive.write("optimizer", opt);
      }
      try {
        archive.save_to(path);
      } catch (const c10::Error& e) {
        throw UserError("cannot write checkpoint '" + path + "': " + e.what_without_backtrace());
      }
      return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
    });
  }

  // load(path) -> Promise<boolean>: restores the network, and Adam's state when the file has it.
  Napi::Value LoadJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto path = StringFromJs(info[0], "path");
    return Schedule(info.Env(), [t, path]() -> Finisher {
      torch::serialize::InputArchive archive, model, opt;
      try {
        archive.load_from(path, t->device);
      } catch (const c10::Error& e) {
        throw UserError("cannot read checkpoint '" + path + "' (missing or corrupt; delete it to start over): " +
                        e.what_without_backtrace());
      }
      torch::Tensor factor;
      archive.read("factor", factor);
      Require(factor.item<int64_t>() == t->factor, "checkpoint '" + path + "' is for x" +
                                                      std::to_string(factor.item<int64_t>()) + ", this trainer is x" +
                                                      std::to_string(t->factor));
      archive.read("model", model);
      t->net->load(model);
      bool has_opt = archive.try_read("optimizer", opt);
      if (has_opt) t->optimizer->load(opt);
      return [has_opt](Napi::Env env) -> Napi::Value { return Napi::Boolean::New(env, has_opt); };
    });
  }

  Napi::Value GradientReportJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto o = Napi::Object::New(info.Env());
    o.Set("srParametersWithGrad", Napi::Number::New(info.Env(), static_cast<double>(t->sr_with_grad)));
    o.Set("srParameters", Napi::Number::New(info.Env(), static_cast<double>(t->net->parameters().size())));
    o.Set("lossNetworkParametersWithGrad", Napi::Number::New(info.Env(), static_cast<double>(t->loss_with_grad)));
    return o;
  }
  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value ParameterCountJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(CountParameters(*owned_.Get()->net)));
  }
  Napi::Value FactorJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->factor));
  }

  Owned<SrTrainer> owned_;
};

double NumberField(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Require(o.Get(key).IsNumber(), std::string("options.") + key + " must be a number");
  double v = o.Get(key).As<Napi::Number>().DoubleValue();
  Require(std::isfinite(v) && v >= 0, std::string("options.") + key + " must be a non-negative number");
  return v;
}

// createSuperResolutionTrainer(lossNetwork | null, {factor, layer, seed, lr, pixelWeight, tvWeight, device})
//   -> Promise<SuperResolutionTrainer>. The network is built on the loss network's device, or on
//   options.device when lossNetwork is null (a pixel-loss baseline).
Napi::Value CreateJs(const Napi::CallbackInfo& info) {
  std::shared_ptr<LossNet> loss_net;
  if (!info[0].IsNull()) loss_net = LossNetFromJs(info[0], "lossNetwork");
  Require(info[1].IsObject(), "options must be an object");
  auto o = info[1].As<Napi::Object>();
  auto t = std::make_shared<SrTrainer>();
  t->factor = static_cast<int64_t>(NumberField(o, "factor", 4));
  Require(t->factor == 4 || t->factor == 8, "options.factor must be 4 or 8");
  t->layer = static_cast<int64_t>(NumberField(o, "layer", 0));
  if (loss_net) CheckLayers({t->layer}, loss_net->Size());
  auto seed = static_cast<uint64_t>(NumberField(o, "seed", 0));
  double lr = NumberField(o, "lr", 1e-3);
  Require(lr > 0, "options.lr must be positive");
  t->pixel_weight = NumberField(o, "pixelWeight", 0);
  t->tv_weight = NumberField(o, "tvWeight", 0);
  t->loss_net = loss_net;
  if (loss_net) {
    t->device = loss_net->device;
  } else {
    Require(o.Has("device") && o.Get("device").IsString(), "options.device is needed without a loss network");
    t->device = ParseDevice(o.Get("device").As<Napi::String>().Utf8Value());
  }
  return Schedule(info.Env(), [t, seed, lr]() -> Finisher {
    torch::manual_seed(seed);  // on the worker thread, so the init is reproducible
    t->net = SrNet(t->factor);
    t->net->to(t->device);
    t->optimizer = std::make_unique<torch::optim::Adam>(t->net->parameters(), torch::optim::AdamOptions(lr));
    return [t](Napi::Env env) -> Napi::Value { return NewWrapped(env, "SuperResolutionTrainer", t); };
  });
}

}  // namespace

void InitSuperResolution(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "SuperResolutionTrainer", SrTrainerWrap::Define(env));
  exports.Set("createSuperResolutionTrainer", Napi::Function::New(env, CreateJs));
}

}  // namespace dpl
