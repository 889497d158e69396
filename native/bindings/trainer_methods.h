// The JS methods every benchmark trainer shares (save, load, gradientReport,
// state), written once. Each schedules its work on the tensor worker: the
// trainer's model, optimiser and last-step counts are only touched there.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "convert.h"
#include "executor.h"
#include "steps/gradient_counts.h"
#include "steps/module_state.h"

namespace dpl {

// save(path, withOptimizer) -> Promise<void>: the model (and the optimiser's state) in one archive.
template <typename Trainer>
Napi::Value SaveMethod(const Napi::CallbackInfo& info, std::shared_ptr<Trainer> t) {
  auto path = StringFromJs(info[0], "path");
  bool with_optimizer = info[1].ToBoolean();
  return Schedule(info.Env(), [t, path, with_optimizer]() -> Finisher {
    t->Save(path, with_optimizer);
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
}

// load(path) -> Promise<boolean>: restores the model, and the optimiser's state when the file holds it.
template <typename Trainer>
Napi::Value LoadMethod(const Napi::CallbackInfo& info, std::shared_ptr<Trainer> t) {
  auto path = StringFromJs(info[0], "path");
  return Schedule(info.Env(), [t, path]() -> Finisher {
    bool has_optimizer = t->Load(path);
    return [has_optimizer](Napi::Env env) -> Napi::Value { return Napi::Boolean::New(env, has_optimizer); };
  });
}

// gradientReport() -> Promise<{modelParametersWithGrad, modelParameters, lossNetworkParametersWithGrad}>
// after the last step.
template <typename Trainer>
Napi::Value GradientReportMethod(const Napi::CallbackInfo& info, std::shared_ptr<Trainer> t) {
  return Schedule(info.Env(), [t]() -> Finisher {
    GradientCounts g = t->gradients();
    return [g](Napi::Env env) -> Napi::Value {
      auto o = Napi::Object::New(env);
      o.Set("modelParametersWithGrad", Napi::Number::New(env, static_cast<double>(g.model_with_grad)));
      o.Set("modelParameters", Napi::Number::New(env, static_cast<double>(g.model)));
      o.Set("lossNetworkParametersWithGrad", Napi::Number::New(env, static_cast<double>(g.loss_network_with_grad)));
      return o;
    };
  });
}

// Named tensors (a state dict) to a JS object of { data, shape }; a scalar goes out as shape [1].
inline Napi::Object NamedTensorsToJs(Napi::Env env, const NamedTensors& state) {
  auto o = Napi::Object::New(env);
  for (const auto& [name, t] : state) o.Set(name, TensorToJs(env, t.dim() == 0 ? t.reshape({1}) : t));
  return o;
}

// state() -> Promise<Record<string, {data, shape}>>: parameters and buffers by their PyTorch names.
template <typename Trainer>
Napi::Value StateMethod(const Napi::CallbackInfo& info, std::shared_ptr<Trainer> t) {
  return Schedule(info.Env(), [t]() -> Finisher {
    auto state = t->State();
    return [state](Napi::Env env) -> Napi::Value { return NamedTensorsToJs(env, state); };
  });
}

}  // namespace dpl
