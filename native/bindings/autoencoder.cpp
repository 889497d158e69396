// N-API for the autoencoder benchmark: argument checks on the JS thread, the
// work scheduled on the tensor worker, results converted back. The training
// itself is steps/autoencoder.* and steps/probe.*.
#include "bindings/autoencoder.h"

#include <cmath>
#include <cstring>

#include "classes.h"
#include "convert.h"
#include "device.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "loss_network.h"
#include "options.h"
#include "bindings/trainer_methods.h"
#include "steps/autoencoder.h"
#include "steps/probe.h"

namespace dpl {
namespace {

NamedTensors StateFromJs(const Napi::Value& value) {
  Require(value.IsObject(), "state must be an object of { data: Float32Array, shape } by name");
  auto o = value.As<Napi::Object>();
  NamedTensors state;
  auto names = o.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    auto name = names.Get(i).As<Napi::String>().Utf8Value();
    state.emplace_back(name, FloatTensorFromJs(o.Get(name), "state." + name));
  }
  return state;
}

Napi::Value Undefined(Napi::Env env) { return env.Undefined(); }

// ---- the autoencoder trainer ----

class AutoencoderWrap : public Napi::ObjectWrap<AutoencoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "AutoencoderTrainer",
        {InstanceMethod("step", &AutoencoderWrap::StepJs), InstanceMethod("evaluate", &AutoencoderWrap::EvaluateJs),
         InstanceMethod("encode", &AutoencoderWrap::EncodeJs), InstanceMethod("save", &AutoencoderWrap::SaveJs),
         InstanceMethod("load", &AutoencoderWrap::LoadJs), InstanceMethod("state", &AutoencoderWrap::StateJs),
         InstanceMethod("setState", &AutoencoderWrap::SetStateJs),
         InstanceMethod("gradientReport", &AutoencoderWrap::GradientReportJs),
         InstanceMethod("dispose", &AutoencoderWrap::DisposeJs),
         InstanceAccessor("parameterCount", &AutoencoderWrap::ParameterCountJs, nullptr)});
  }

  explicit AutoencoderWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<AutoencoderWrap>(info), owned_("autoencoder") {
    auto state = UnwrapState<AutoencoderTrainer>(info);
    Require(state != nullptr, "use createAutoencoderTrainer() to make an AutoencoderTrainer");
    owned_.Reset(state);
  }

 private:
  torch::Tensor Images(const Napi::CallbackInfo& info, const std::shared_ptr<AutoencoderTrainer>& t) {
    auto images = ByteTensorFromJs(info[0], "images", 4);
    t->CheckImages(images, "images");
    return images;
  }

  // step(images: uint8 [N,3,h,w]) -> Promise<number>: one Adam step; the loss.
  Napi::Value StepJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto images = Images(info, t);
    return Schedule(info.Env(), [t, images]() -> Finisher {
      double loss = t->Step(images);
      return [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, loss); };
    });
  }

  // evaluate(images, wantImages) -> Promise<{ losses: Float64Array, input?, output? }> in eval mode.
  Napi::Value EvaluateJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto images = Images(info, t);
    bool want = info.Length() > 1 && info[1].ToBoolean();
    return Schedule(info.Env(), [t, images, want]() -> Finisher {
      auto r = t->Evaluate(images, want);
      return [r](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        auto losses = Napi::Float64Array::New(env, r.losses.numel());
        std::memcpy(losses.Data(), r.losses.data_ptr<double>(), r.losses.numel() * sizeof(double));
        o.Set("losses", losses);
        if (r.output.defined()) {
          o.Set("input", TensorToJs(env, r.input));
          o.Set("output", TensorToJs(env, r.output));
        }
        return o;
      };
    });
  }

  // encode(images) -> Promise<{ data: Float32Array, shape: [N, codeSize] }> in eval mode.
  Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto images = Images(info, t);
    return Schedule(info.Env(), [t, images]() -> Finisher {
      auto codes = t->Encode(images);
      return [codes](Napi::Env env) -> Napi::Value { return TensorToJs(env, codes); };
    });
  }

  Napi::Value SaveJs(const Napi::CallbackInfo& info) { return SaveMethod(info, owned_.Get()); }
  Napi::Value LoadJs(const Napi::CallbackInfo& info) { return LoadMethod(info, owned_.Get()); }
  Napi::Value StateJs(const Napi::CallbackInfo& info) { return StateMethod(info, owned_.Get()); }
  Napi::Value GradientReportJs(const Napi::CallbackInfo& info) { return GradientReportMethod(info, owned_.Get()); }

  Napi::Value SetStateJs(const Napi::CallbackInfo& info) {
    auto t = owned_.Get();
    auto state = StateFromJs(info[0]);
    return Schedule(info.Env(), [t, state]() -> Finisher {
      t->SetState(state);
      return Undefined;
    });
  }

  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }

  Napi::Value ParameterCountJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->parameter_count()));
  }

  Owned<AutoencoderTrainer> owned_;
};

// createAutoencoderTrainer(lossNetwork | null, { side, pad, codeSize, layer, seed, lr, device })
//   -> Promise<AutoencoderTrainer>. Built on the loss network's device, or on options.device for the
//   pixel-loss baseline (lossNetwork null).
Napi::Value CreateAutoencoderJs(const Napi::CallbackInfo& info) {
  std::shared_ptr<LossNet> loss_net;
  if (!info[0].IsNull()) loss_net = LossNetFromJs(info[0], "lossNetwork");
  auto o = OptionsObject(info[1]);
  AutoencoderOptions opts;
  opts.side = IntField(o, "side", 64);
  auto problem = AutoencoderSideProblem(opts.side);
  Require(problem.empty(), problem);
  opts.pad = IntField(o, "pad", 0);
  opts.code_size = IntField(o, "codeSize", 64);
  Require(opts.code_size > 0, "options.codeSize must be positive");
  opts.layer = IntField(o, "layer", 0);
  if (loss_net) CheckLayers({opts.layer}, loss_net->Size());
  opts.seed = static_cast<uint64_t>(IntField(o, "seed", 0));
  opts.lr = NumberField(o, "lr", 1e-3);
  Require(opts.lr > 0, "options.lr must be positive");
  Require(opts.side - 2 * opts.pad > opts.pad, "options.pad must be smaller than the stored images' side");
  opts.device = loss_net ? loss_net->device : DeviceField(o);
  return Schedule(info.Env(), [loss_net, opts]() -> Finisher {
    auto t = std::make_shared<AutoencoderTrainer>(loss_net, opts);
    return [t](Napi::Env env) -> Napi::Value { return NewWrapped(env, "AutoencoderTrainer", t); };
  });
}

// ---- codes and probes ----

class CodeSetWrap : public Napi::ObjectWrap<CodeSetWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "CodeSet",
        {InstanceMethod("dispose", &CodeSetWrap::DisposeJs), InstanceAccessor("size", &CodeSetWrap::SizeJs, nullptr),
         InstanceAccessor("dim", &CodeSetWrap::DimJs, nullptr)});
  }
  explicit CodeSetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CodeSetWrap>(info), owned_("code set") {
    auto state = UnwrapState<CodeSet>(info);
    Require(state != nullptr, "use createCodeSet() to make a CodeSet");
    owned_.Reset(state);
  }
  std::shared_ptr<CodeSet> Get() const { return owned_.Get(); }

 private:
  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value SizeJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->size()));
  }
  Napi::Value DimJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->codes.size(1)));
  }
  Owned<CodeSet> owned_;
};

std::shared_ptr<CodeSet> CodeSetFromJs(const Napi::Value& value) {
  Require(value.IsObject() && IsInstanceOf(value.Env(), "CodeSet", value.As<Napi::Object>()),
          "set must be a CodeSet (createCodeSet)");
  return CodeSetWrap::Unwrap(value.As<Napi::Object>())->Get();
}

// createCodeSet(codes: [N, D] float, labels: uint8 [N], { classes, device }) -> Promise<CodeSet>.
Napi::Value CreateCodeSetJs(const Napi::CallbackInfo& info) {
  auto codes = FloatTensorFromJs(info[0], "codes", 2);
  RequireFinite(codes, "codes");
  auto labels = ByteTensorFromJs(info[1], "labels", 1);
  auto o = OptionsObject(info[2]);
  int64_t classes = IntField(o, "classes", 10);
  Require(classes >= 2, "options.classes must be at least 2");
  Require(labels.size(0) == codes.size(0),
          "labels has " + std::to_string(labels.size(0)) + " entries for " + std::to_string(codes.size(0)) + " codes",
          Code::Shape);
  Require(labels.max().item<int64_t>() < classes, "labels must lie in 0.." + std::to_string(classes - 1));
  auto device = DeviceField(o);
  return Schedule(info.Env(), [codes, labels, classes, device]() -> Finisher {
    auto set = std::make_shared<CodeSet>(codes, labels, classes, device);
    return [set](Napi::Env env) -> Napi::Value { return NewWrapped(env, "CodeSet", set); };
  });
}

class ProbeWrap : public Napi::ObjectWrap<ProbeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Probe",
        {InstanceMethod("trainEpoch", &ProbeWrap::TrainEpochJs), InstanceMethod("evaluate", &ProbeWrap::EvaluateJs),
         InstanceMethod("keepBest", &ProbeWrap::KeepBestJs), InstanceMethod("restoreBest", &ProbeWrap::RestoreBestJs),
         InstanceMethod("state", &ProbeWrap::StateJs), InstanceMethod("setState", &ProbeWrap::SetStateJs),
         InstanceMethod("dispose", &ProbeWrap::DisposeJs),
         InstanceAccessor("parameterCount", &ProbeWrap::ParameterCountJs, nullptr)});
  }
  explicit ProbeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProbeWrap>(info), owned_("probe") {
    auto state = UnwrapState<ProbeTrainer>(info);
    Require(state != nullptr, "use createProbe() to make a Probe");
    owned_.Reset(state);
  }

 private:
  std::shared_ptr<CodeSet> Set(const Napi::CallbackInfo& info, const std::shared_ptr<ProbeTrainer>& p) {
    auto set = CodeSetFromJs(info[0]);
    Require(set->codes.size(1) == p->options().inputs,
            "the codes have " + std::to_string(set->codes.size(1)) + " dimensions, the probe takes " +
                std::to_string(p->options().inputs),
            Code::Shape);
    auto a = set->codes.device(), b = p->options().device;
    Require(a.type() == b.type() && (!b.has_index() || a.index() == b.index()),
            "the codes and the probe must be on the same device", Code::Device);
    Require(set->targets.size(1) == p->options().classes, "the code set has another number of classes than the probe");
    return set;
  }

  // trainEpoch(set, order: Int32Array (a permutation of the set or part of it), batch) -> Promise<number>.
  Napi::Value TrainEpochJs(const Napi::CallbackInfo& info) {
    auto p = owned_.Get();
    auto set = Set(info, p);
    Require(info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array,
            "order must be an Int32Array of sample indices");
    auto arr = info[1].As<Napi::Int32Array>();
    Require(arr.ElementLength() > 0, "order must not be empty");
    const int64_t n = set->size();
    for (size_t i = 0; i < arr.ElementLength(); ++i) {
      Require(arr[i] >= 0 && arr[i] < n,
              "order holds " + std::to_string(arr[i]) + ", outside 0.." + std::to_string(n - 1));
    }
    auto order =
        torch::from_blob(arr.Data(), {static_cast<int64_t>(arr.ElementLength())}, torch::kInt32).to(torch::kInt64);
    Require(info[2].IsNumber() && info[2].As<Napi::Number>().Int64Value() > 0, "batch must be a positive integer");
    int64_t batch = info[2].As<Napi::Number>().Int64Value();
    return Schedule(info.Env(), [p, set, order, batch]() -> Finisher {
      double loss = p->TrainEpoch(*set, order, batch);
      return [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, loss); };
    });
  }

  // evaluate(set) -> Promise<{ loss, l1, l2, accuracy }>.
  Napi::Value EvaluateJs(const Napi::CallbackInfo& info) {
    auto p = owned_.Get();
    auto set = Set(info, p);
    return Schedule(info.Env(), [p, set]() -> Finisher {
      auto m = p->Evaluate(*set);
      return [m](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("loss", m.loss);
        o.Set("l1", m.l1);
        o.Set("l2", m.l2);
        o.Set("accuracy", m.accuracy);
        return o;
      };
    });
  }

  Napi::Value KeepBestJs(const Napi::CallbackInfo& info) {
    auto p = owned_.Get();
    return Schedule(info.Env(), [p]() -> Finisher {
      p->KeepBest();
      return Undefined;
    });
  }

  Napi::Value RestoreBestJs(const Napi::CallbackInfo& info) {
    auto p = owned_.Get();
    return Schedule(info.Env(), [p]() -> Finisher {
      bool had = p->RestoreBest();
      return [had](Napi::Env env) -> Napi::Value { return Napi::Boolean::New(env, had); };
    });
  }

  Napi::Value StateJs(const Napi::CallbackInfo& info) {
    auto p = owned_.Get();
    return Schedule(info.Env(), [p]() -> Finisher {
      auto state = p->State();
      return [state](Napi::Env env) -> Napi::Value { return NamedTensorsToJs(env, state); };
    });
  }

  Napi::Value SetStateJs(const Napi::CallbackInfo& info) {
    auto p = owned_.Get();
    auto state = StateFromJs(info[0]);
    return Schedule(info.Env(), [p, state]() -> Finisher {
      p->SetState(state);
      return Undefined;
    });
  }

  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value ParameterCountJs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(owned_.Get()->ParameterCount()));
  }

  Owned<ProbeTrainer> owned_;
};

// createProbe({ inputs, hidden: number[], classes, seed, lr, device }) -> Promise<Probe>.
Napi::Value CreateProbeJs(const Napi::CallbackInfo& info) {
  auto o = OptionsObject(info[0]);
  ProbeOptions opts;
  opts.inputs = IntField(o, "inputs", 64);
  opts.classes = IntField(o, "classes", 10);
  Require(opts.inputs > 0 && opts.classes >= 2, "options.inputs must be positive and options.classes at least 2");
  if (o.Has("hidden")) opts.hidden = IntListFromJs(o.Get("hidden"), "options.hidden");
  for (auto h : opts.hidden) Require(h > 0, "options.hidden sizes must be positive");
  opts.seed = static_cast<uint64_t>(IntField(o, "seed", 0));
  opts.lr = NumberField(o, "lr", 1e-3);
  Require(opts.lr > 0, "options.lr must be positive");
  opts.device = DeviceField(o);
  return Schedule(info.Env(), [opts]() -> Finisher {
    auto p = std::make_shared<ProbeTrainer>(opts);
    return [p](Napi::Env env) -> Napi::Value { return NewWrapped(env, "Probe", p); };
  });
}

}  // namespace

void InitAutoencoder(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "AutoencoderTrainer", AutoencoderWrap::Define(env));
  RegisterClass(env, exports, "CodeSet", CodeSetWrap::Define(env));
  RegisterClass(env, exports, "Probe", ProbeWrap::Define(env));
  exports.Set("createAutoencoderTrainer", Napi::Function::New(env, CreateAutoencoderJs));
  exports.Set("createCodeSet", Napi::Function::New(env, CreateCodeSetJs));
  exports.Set("createProbe", Napi::Function::New(env, CreateProbeJs));
}

}  // namespace dpl
