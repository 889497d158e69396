// SuperResolutionTrainer for JS: argument checks on the JS thread, the work on
// the tensor thread, results converted back.
#include "bindings/super_resolution.h"

#include "classes.h"
#include "convert.h"
#include "device.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "options.h"
#include "bindings/trainer_methods.h"
#include "steps/super_resolution.h"

namespace dpl {
namespace {

class SrTrainerWrap : public Napi::ObjectWrap<SrTrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "SuperResolutionTrainer",
        {InstanceMethod("step", &SrTrainerWrap::StepJs), InstanceMethod("evaluate", &SrTrainerWrap::EvaluateJs),
         InstanceMethod("save", &SrTrainerWrap::SaveJs), InstanceMethod("load", &SrTrainerWrap::LoadJs),
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
    CheckSrPair(lr, hr, t->factor());
    return Schedule(info.Env(), [t, lr, hr]() -> Finisher {
      double value = t->Step(lr, hr);
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
      CheckSrPair(lr, hr, t->factor());
    } else {
      CheckSrInput(lr);
    }
    return Schedule(info.Env(), [t, lr, hr]() -> Finisher {
      auto r = t->Evaluate(lr, hr);
      return [r](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("output", TensorToJs(env, r.output));
        if (!r.losses.empty()) {
          auto arr = Napi::Array::New(env, r.losses.size());
          for (size_t i = 0; i < r.losses.size(); ++i) arr.Set(i, Napi::Number::New(env, r.losses[i]));
          o.Set("featureLoss", arr);
        }
        return o;
      };
    });
  }

  Napi::Value SaveJs(const Napi::CallbackInfo& info) { return SaveMethod(info, owned_.Get()); }
  Napi::Value LoadJs(const Napi::CallbackInfo& info) { return LoadMethod(info, owned_.Get()); }
  Napi::Value GradientReportJs(const Napi::CallbackInfo& info) { return GradientReportMethod(info, owned_.Get()); }
  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value ParameterCountJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->parameter_count()));
  }
  Napi::Value FactorJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->factor()));
  }

  Owned<SrTrainer> owned_;
};

// createSuperResolutionTrainer(lossNetwork | null, {factor, layer, seed, lr, pixelWeight, tvWeight, device})
//   -> Promise<SuperResolutionTrainer>. The network is built on the loss network's device, or on
//   options.device when lossNetwork is null (a pixel-loss baseline).
Napi::Value CreateJs(const Napi::CallbackInfo& info) {
  std::shared_ptr<LossNet> loss_net;
  if (!info[0].IsNull()) loss_net = LossNetFromJs(info[0], "lossNetwork");
  auto o = OptionsObject(info[1]);
  SrTrainerOptions opts;
  opts.factor = IntField(o, "factor", 4);
  Require(opts.factor == 4 || opts.factor == 8, "options.factor must be 4 or 8");
  opts.layer = IntField(o, "layer", 0);
  if (loss_net) CheckLayers({opts.layer}, loss_net->Size());
  opts.seed = static_cast<uint64_t>(IntField(o, "seed", 0));
  opts.lr = NumberField(o, "lr", 1e-3);
  Require(opts.lr > 0, "options.lr must be positive");
  opts.pixel_weight = NumberField(o, "pixelWeight", 0);
  opts.tv_weight = NumberField(o, "tvWeight", 0);
  if (!loss_net) {
    opts.device = DeviceField(o);  // needed without a loss network
  }
  return Schedule(info.Env(), [loss_net, opts]() -> Finisher {
    auto t = std::make_shared<SrTrainer>(loss_net, opts);
    return [t](Napi::Env env) -> Napi::Value { return NewWrapped(env, "SuperResolutionTrainer", t); };
  });
}

}  // namespace

void InitSuperResolution(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "SuperResolutionTrainer", SrTrainerWrap::Define(env));
  exports.Set("createSuperResolutionTrainer", Napi::Function::New(env, CreateJs));
}

}  // namespace dpl
