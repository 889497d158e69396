// DelineationTrainer for JS: argument checks on the JS thread, the work on the
// tensor thread, results converted back.
#include "bindings/delineation.h"

#include "classes.h"
#include "convert.h"
#include "device.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "options.h"
#include "bindings/trainer_methods.h"
#include "steps/delineation.h"

namespace dpl {
namespace {

bool Given(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull();
}

class DelineationWrap : public Napi::ObjectWrap<DelineationWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "DelineationTrainer",
        {InstanceMethod("step", &DelineationWrap::StepJs), InstanceMethod("evaluate", &DelineationWrap::EvaluateJs),
         InstanceMethod("inspect", &DelineationWrap::InspectJs), InstanceMethod("save", &DelineationWrap::SaveJs),
         InstanceMethod("load", &DelineationWrap::LoadJs), InstanceMethod("state", &DelineationWrap::StateJs),
         InstanceMethod("gradientReport", &DelineationWrap::GradientReportJs),
         InstanceMethod("dispose", &DelineationWrap::DisposeJs),
         InstanceAccessor("parameterCount", &DelineationWrap::ParameterCountJs, nullptr),
         InstanceAccessor("iterations", &DelineationWrap::IterationsJs, nullptr)});
  }

  explicit DelineationWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<DelineationWrap>(info), owned_("delineation trainer") {
    auto state = UnwrapState<DelineationTrainer>(info);
    Require(state != nullptr, "use createDelineationTrainer() to make a DelineationTrainer");
    owned_.Reset(state);
  }

 private:
  // step(images [N,3,S,S], masks [N,1,S,S]) -> Promise<number>: one Adam step; the loss.
  Napi::Value StepJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto images = FloatTensorFromJs(info[0], "images", 4);
    auto masks = FloatTensorFromJs(info[1], "masks", 4);
    CheckDelineationBatch(images, masks, /*training=*/true);
    return Schedule(info.Env(), [t, images, masks]() -> Finisher {
      double value = t->Step(images, masks);
      return [value](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, value); };
    });
  }

  // evaluate(images, masks?) -> Promise<{probabilities, bce?: number[]}>: eval mode, the last iteration.
  Napi::Value EvaluateJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto images = FloatTensorFromJs(info[0], "images", 4);
    torch::Tensor masks;
    if (Given(info, 1)) masks = FloatTensorFromJs(info[1], "masks", 4);
    CheckDelineationBatch(images, masks, /*training=*/false);
    return Schedule(info.Env(), [t, images, masks]() -> Finisher {
      auto r = t->Evaluate(images, masks);
      return [r](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("probabilities", TensorToJs(env, r.probabilities));
        if (!r.bce.empty()) {
          auto arr = Napi::Array::New(env, r.bce.size());
          for (size_t i = 0; i < r.bce.size(); ++i) arr.Set(i, Napi::Number::New(env, r.bce[i]));
          o.Set("bce", arr);
        }
        return o;
      };
    });
  }

  // inspect(images, masks) -> Promise<{skipsMade, skipsAfter, priorGradNorm}> (diagnostics, eval mode).
  Napi::Value InspectJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto images = FloatTensorFromJs(info[0], "images", 4);
    auto masks = FloatTensorFromJs(info[1], "masks", 4);
    CheckDelineationBatch(images, masks, /*training=*/true);
    return Schedule(info.Env(), [t, images, masks]() -> Finisher {
      auto r = t->Inspect(images, masks);
      return [r](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("skipsMade", TensorsToJs(env, r.skips.made));
        o.Set("skipsAfter", TensorsToJs(env, r.skips.after));
        o.Set("priorGradNorm", Napi::Number::New(env, r.prior_grad_norm));
        return o;
      };
    });
  }

  Napi::Value SaveJs(const Napi::CallbackInfo& info) { return SaveMethod(info, owned_.Get()); }
  Napi::Value LoadJs(const Napi::CallbackInfo& info) { return LoadMethod(info, owned_.Get()); }
  Napi::Value StateJs(const Napi::CallbackInfo& info) { return StateMethod(info, owned_.Get()); }
  Napi::Value GradientReportJs(const Napi::CallbackInfo& info) { return GradientReportMethod(info, owned_.Get()); }
  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value ParameterCountJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->parameter_count()));
  }
  Napi::Value IterationsJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->options().iterations));
  }

  Owned<DelineationTrainer> owned_;
};

// createDelineationTrainer(lossNetwork | null, {layer, iterations, featureWeight, lr, seed, device})
//   -> Promise<DelineationTrainer>. Built on the loss network's device, or on options.device
//   when lossNetwork is null (the pixel baseline: BCE only).
Napi::Value CreateJs(const Napi::CallbackInfo& info) {
  std::shared_ptr<LossNet> loss_net;
  if (!info[0].IsNull()) loss_net = LossNetFromJs(info[0], "lossNetwork");
  auto o = OptionsObject(info[1]);
  DelineationOptions opts;
  opts.layer = IntField(o, "layer", 0);
  if (loss_net) {
    CheckLayers({opts.layer}, loss_net->Size());
    Require(!loss_net->trainable, "the loss network must be frozen (it is being trained elsewhere)");
  }
  opts.iterations = IntField(o, "iterations", 3);
  Require(opts.iterations >= 1, "options.iterations must be at least 1");
  opts.feature_weight = NumberField(o, "featureWeight", 0.01);
  opts.lr = NumberField(o, "lr", 1e-3);
  Require(opts.lr > 0, "options.lr must be positive");
  opts.seed = static_cast<uint64_t>(IntField(o, "seed", 0));
  if (!loss_net) opts.device = DeviceField(o, "cpu");
  return Schedule(info.Env(), [loss_net, opts]() -> Finisher {
    auto t = std::make_shared<DelineationTrainer>(loss_net, opts);
    return [t](Napi::Env env) -> Napi::Value { return NewWrapped(env, "DelineationTrainer", t); };
  });
}

}  // namespace

void InitDelineation(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "DelineationTrainer", DelineationWrap::Define(env));
  exports.Set("createDelineationTrainer", Napi::Function::New(env, CreateJs));
}

}  // namespace dpl
