// Similarity for JS: argument checks on the JS thread, the work on the tensor
// thread, results converted back.
#include "bindings/similarity.h"

#include <cmath>

#include "classes.h"
#include "convert.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "steps/similarity.h"

namespace dpl {
namespace {

SimilarityOptions OptionsFromJs(const Napi::Value& value) {
  Require(value.IsObject(), "similarity options must be an object");
  auto o = value.As<Napi::Object>();
  SimilarityOptions opts;
  opts.layers = IntListFromJs(o.Get("layers"), "layers");
  opts.branches = ParseCompare(StringFromJs(o.Get("compare"), "compare"));
  opts.channel_norm = o.Get("channelNorm").ToBoolean();
  opts.learned = o.Get("learned").ToBoolean();
  opts.trainable = o.Get("trainable").ToBoolean();
  Require(!opts.trainable || opts.learned, "a trainable trunk needs learned weights (variants tune, scratch)");
  auto seed = o.Get("seed").ToNumber().DoubleValue();
  Require(seed >= 0 && std::floor(seed) == seed, "seed must be a non-negative integer");
  opts.seed = static_cast<uint64_t>(seed);
  auto size = o.Get("probeSize").ToNumber().Int64Value();
  Require(size >= 1, "probeSize must be a positive image side");
  opts.probe_size = size;
  return opts;
}

void CheckPair(const torch::Tensor& a, const torch::Tensor& b, const std::string& an, const std::string& bn) {
  CheckImageBatch(a, an);
  CheckImageBatch(b, bn);
  Require(a.sizes() == b.sizes(),
          an + " and " + bn + " must have the same shape, got " + c10::str(a.sizes()) + " and " + c10::str(b.sizes()),
          Code::Shape);
}

class SimilarityWrap : public Napi::ObjectWrap<SimilarityWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Similarity",
                       {InstanceMethod("distance", &SimilarityWrap::DistanceJs),
                        InstanceMethod("evalTriplets", &SimilarityWrap::EvalTripletsJs),
                        InstanceMethod("trainStep", &SimilarityWrap::TrainStepJs),
                        InstanceMethod("getWeights", &SimilarityWrap::GetWeightsJs),
                        InstanceMethod("setWeights", &SimilarityWrap::SetWeightsJs),
                        InstanceMethod("saveCheckpoint", &SimilarityWrap::SaveCheckpointJs),
                        InstanceMethod("loadCheckpoint", &SimilarityWrap::LoadCheckpointJs),
                        InstanceMethod("dispose", &SimilarityWrap::DisposeJs),
                        InstanceAccessor("channels", &SimilarityWrap::ChannelsJs, nullptr),
                        InstanceAccessor("parameterCount", &SimilarityWrap::ParameterCountJs, nullptr)});
  }

  explicit SimilarityWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<SimilarityWrap>(info), owned_("similarity") {
    auto state = UnwrapState<Similarity>(info);
    Require(state != nullptr, "use new PerceptualSimilarity() to make a similarity");
    owned_.Reset(state);
  }

 private:
  // distance(a, b) -> Promise<{data, shape: [N]}>
  Napi::Value DistanceJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    auto a = FloatTensorFromJs(info[0], "a", 4);
    auto b = FloatTensorFromJs(info[1], "b", 4);
    CheckPair(a, b, "a", "b");
    return Schedule(info.Env(), [s, a, b]() -> Finisher {
      auto d = s->Distance(a.to(s->net->device), b.to(s->net->device), false).cpu();
      return [d](Napi::Env env) -> Napi::Value { return TensorToJs(env, d); };
    });
  }

  // evalTriplets(ref, p0, p1) -> Promise<{d0, d1, prob?}> (eval mode, no grad)
  Napi::Value EvalTripletsJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    auto ref = FloatTensorFromJs(info[0], "ref", 4);
    auto p0 = FloatTensorFromJs(info[1], "p0", 4);
    auto p1 = FloatTensorFromJs(info[2], "p1", 4);
    CheckPair(ref, p0, "ref", "p0");
    CheckPair(ref, p1, "ref", "p1");
    return Schedule(info.Env(), [s, ref, p0, p1]() -> Finisher {
      auto dev = s->net->device;
      auto n = ref.size(0);
      auto feats = s->net->Features(torch::cat({ref, p0, p1}, 0).to(dev), s->opts.layers);
      std::vector<torch::Tensor> fr, f0, f1;
      for (auto& f : feats) {
        fr.push_back(f.narrow(0, 0, n));
        f0.push_back(f.narrow(0, n, n));
        f1.push_back(f.narrow(0, 2 * n, n));
      }
      auto d0 = s->DistanceFromFeatures(fr, f0, false);
      auto d1 = s->DistanceFromFeatures(fr, f1, false);
      torch::Tensor prob;
      if (s->head->judge) prob = s->Judge(d0, d1).cpu();
      d0 = d0.cpu();
      d1 = d1.cpu();
      return [d0, d1, prob](Napi::Env env) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("d0", TensorToJs(env, d0));
        out.Set("d1", TensorToJs(env, d1));
        if (prob.defined()) out.Set("prob", TensorToJs(env, prob));
        return out;
      };
    });
  }

  // trainStep(ref, p0, p1, judge [N], lr) -> Promise<{loss, gradNorm}>
  Napi::Value TrainStepJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    Require(s->optimizer != nullptr, "training needs learned weights: create the similarity with learned: true");
    auto ref = FloatTensorFromJs(info[0], "ref", 4);
    auto p0 = FloatTensorFromJs(info[1], "p0", 4);
    auto p1 = FloatTensorFromJs(info[2], "p1", 4);
    auto judge = FloatTensorFromJs(info[3], "judge", 1);
    CheckPair(ref, p0, "ref", "p0");
    CheckPair(ref, p1, "ref", "p1");
    Require(judge.size(0) == ref.size(0), "judge must hold one value per triplet", Code::Shape);
    Require(judge.min().item<float>() >= 0 && judge.max().item<float>() <= 1, "judge values must lie in [0, 1]");
    double lr = info[4].ToNumber().DoubleValue();
    Require(std::isfinite(lr) && lr >= 0, "lr must be a non-negative number");
    return Schedule(info.Env(), [s, ref, p0, p1, judge, lr]() -> Finisher {
      auto dev = s->net->device;
      auto r = s->TrainStep(ref.to(dev), p0.to(dev), p1.to(dev), judge.to(dev), lr);
      return [r](Napi::Env env) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("loss", Napi::Number::New(env, r.first));
        out.Set("gradNorm", Napi::Number::New(env, r.second));
        return out;
      };
    });
  }

  Napi::Value GetWeightsJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    return Schedule(info.Env(), [s]() -> Finisher {
      std::vector<torch::Tensor> ws;
      for (auto& w : s->head->weights) ws.push_back(w.detach().cpu().clone());
      return [ws](Napi::Env env) -> Napi::Value { return TensorsToJs(env, ws); };
    });
  }

  // setWeights(FloatTensor[]) -> Promise<void>; one [C] tensor per (layer, branch).
  Napi::Value SetWeightsJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    Require(s->opts.learned, "this similarity has no learned weights: create it with learned: true");
    Require(info[0].IsArray(), "weights must be an array of tensors");
    auto arr = info[0].As<Napi::Array>();
    Require(arr.Length() == s->head->weights.size(), "expected " + std::to_string(s->head->weights.size()) +
                                                         " weight vectors (layers x branches), got " +
                                                         std::to_string(arr.Length()));
    std::vector<torch::Tensor> ws;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto w = FloatTensorFromJs(arr.Get(i), "weights[" + std::to_string(i) + "]", 1);
      Require(w.size(0) == s->head->weights[i].size(0), "weights[" + std::to_string(i) + "] must have " +
                                                            std::to_string(s->head->weights[i].size(0)) +
                                                            " channels, got " + std::to_string(w.size(0)));
      RequireFinite(w, "weights");
      Require(w.min().item<float>() >= 0, "channel weights must be non-negative");
      ws.push_back(w);
    }
    return Schedule(info.Env(), [s, ws]() -> Finisher {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < ws.size(); ++i) s->head->weights[i].copy_(ws[i]);
      return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
    });
  }

  Napi::Value SaveCheckpointJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    Require(s->optimizer != nullptr, "only a trainable similarity (learned: true) has checkpoints");
    auto path = StringFromJs(info[0], "path");
    auto meta = StringFromJs(info[1], "meta");
    return Schedule(info.Env(), [s, path, meta]() -> Finisher {
      s->SaveCheckpoint(path, meta);
      return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
    });
  }

  Napi::Value LoadCheckpointJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    Require(s->optimizer != nullptr, "only a trainable similarity (learned: true) has checkpoints");
    auto path = StringFromJs(info[0], "path");
    return Schedule(info.Env(), [s, path]() -> Finisher {
      auto meta = s->LoadCheckpoint(path);
      return [meta](Napi::Env env) -> Napi::Value { return Napi::String::New(env, meta); };
    });
  }

  Napi::Value ChannelsJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    auto arr = Napi::Array::New(info.Env(), s->channels.size());
    for (size_t i = 0; i < s->channels.size(); ++i)
      arr.Set(i, Napi::Number::New(info.Env(), static_cast<double>(s->channels[i])));
    return arr;
  }

  // Elements the optimiser trains (channel weights, judge, and the trunk when
  // trainable): shapes only, so reading them here does not race the tensor thread.
  Napi::Value ParameterCountJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    int64_t n = 0;
    for (const auto& p : s->Parameters()) n += p.numel();
    return Napi::Number::New(info.Env(), static_cast<double>(n));
  }

  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }

  Owned<Similarity> owned_;
};

// createSimilarity(network, options) -> Promise<Similarity>
Napi::Value CreateSimilarityJs(const Napi::CallbackInfo& info) {
  auto net = LossNetFromJs(info[0], "network");
  auto opts = OptionsFromJs(info[1]);
  CheckLayers(opts.layers, net->Size());
  return Schedule(info.Env(), [net, opts]() -> Finisher {
    auto s = std::make_shared<Similarity>(net, opts);
    return [s](Napi::Env env) -> Napi::Value { return NewWrapped(env, "Similarity", s); };
  });
}

}  // namespace

void InitSimilarity(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "Similarity", SimilarityWrap::Define(env));
  exports.Set("createSimilarity", Napi::Function::New(env, CreateSimilarityJs));
}

}  // namespace dpl
