#include "models/similarity.h"

#include <sstream>
#include <type_traits>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <mutex>

#include "classes.h"
#include "convert.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "step_guard.h"

namespace dpl {
namespace {
// torch::optim keys per-parameter state by the parameter's TensorImpl: as its
// printed address in LibTorch 1.x, as the pointer itself in 2.x.
template <typename Optimizer>
auto AdamStateKey(Optimizer& optimizer, const torch::Tensor& p) {
  using Key = typename std::decay_t<decltype(optimizer.state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return Key(s.str());
  } else {
    return Key(p.unsafeGetTensorImpl());
  }
}
}  // namespace


std::vector<Branch> ParseCompare(const std::string& compare) {
  if (compare == "spatial") return {Branch::Spatial};
  if (compare == "mean") return {Branch::Mean};
  if (compare == "sort") return {Branch::Sort};
  if (compare == "spatial+mean") return {Branch::Spatial, Branch::Mean};
  if (compare == "spatial+sort") return {Branch::Spatial, Branch::Sort};
  throw UserError("unknown compare '" + compare + "': use spatial, mean, sort, spatial+mean or spatial+sort");
}

namespace {

// The features a branch compares, still shaped (B, C, H', W').
torch::Tensor Transform(const torch::Tensor& f, Branch branch) {
  switch (branch) {
    case Branch::Spatial:
      return f;
    case Branch::Mean:
      return f.mean({2, 3}, /*keepdim=*/true);
    case Branch::Sort:
      // Each channel's H*W values in ascending order, for both images alike.
      return std::get<0>(f.flatten(2).sort(2)).unsqueeze(3);
  }
  return f;
}

// Runs `fn` with the default CPU generator set to `state`, then stores the
// advanced state back, so that a model's randomness (dropout) is one seeded
// stream that a checkpoint can capture, whatever else uses the generator.
template <typename Fn>
auto WithRng(torch::Tensor& state, Fn fn) {
  auto gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    saved = gen.get_state();
    gen.set_state(state);
  }
  struct Restore {
    at::Generator gen;
    torch::Tensor& state;
    torch::Tensor saved;
    ~Restore() {
      std::lock_guard<std::mutex> lock(gen.mutex());
      state = gen.get_state();
      gen.set_state(saved);
    }
  } restore{gen, state, saved};
  return fn();
}

// Dropout 0.5 (keep with probability 1/2, scale kept values by 2). On CPU the
// mask comes from uniform floats: LibTorch 1.13's CPU bernoulli_ without MKL
// draws a double per element serially, which made dropout about a fifth of the
// alexnet 'lin' step; uniform_ then lt_ is about 4x faster, with the same
// distribution (P(u < 0.5) = 1/2 exactly for u in [0, 1)). CUDA keeps the
// fused dropout kernel.
torch::Tensor Dropout(const torch::Tensor& z) {
  if (!z.is_cpu()) return torch::dropout(z, 0.5, /*train=*/true);
  return z * torch::rand_like(z).lt_(0.5).mul_(2);
}

// Puts a trainable trunk in train mode for one step and back to frozen/eval
// afterwards (also on error), so outside training steps it behaves as loaded.
struct TrainableScope {
  LossNet& net;
  bool on;
  TrainableScope(LossNet& n, bool o) : net(n), on(o) {
    if (on) net.SetTrainable(true);
  }
  ~TrainableScope() {
    if (on) net.SetTrainable(false);
  }
};

}  // namespace

Similarity::Similarity(std::shared_ptr<LossNet> n, SimilarityOptions o) : net(std::move(n)), opts(std::move(o)) {
  CheckLayers(opts.layers, net->Size());
  {
    // Channel counts from one probe in eval mode without grad: BatchNorm
    // running statistics stay as they are.
    torch::NoGradGuard no_grad;
    bool was_training = net->trunk.is_training();
    net->trunk.eval();
    auto probe = torch::zeros({1, 3, opts.probe_size, opts.probe_size},
                              torch::TensorOptions().dtype(torch::kFloat32).device(net->device));
    auto feats = net->Features(probe, opts.layers);
    net->trunk.train(was_training);
    for (auto& f : feats) {
      Require(f.dim() == 4, "layer features must be shaped (N, C, H, W) to compare them; got " + c10::str(f.sizes()));
      channels.push_back(f.size(1));
    }
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(opts.seed);
  if (opts.learned) {
    torch::NoGradGuard no_grad;
    // LPIPS's 1x1 conv default init, U(-1/sqrt(C), 1/sqrt(C)), then clamped
    // to >= 0 so that the weights are non-negative from the start.
    for (auto c : channels) {
      for (size_t b = 0; b < opts.branches.size(); ++b) {
        double bound = 1.0 / std::sqrt(static_cast<double>(c));
        auto w = torch::empty({c}).uniform_(-bound, bound, gen).clamp_min_(0).to(net->device);
        weights.push_back(w.requires_grad_(true));
      }
    }
    judge = torch::nn::Sequential(torch::nn::Linear(5, 32), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                  torch::nn::Linear(32, 32), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                  torch::nn::Linear(32, 1), torch::nn::Sigmoid());
    // PyTorch's Linear init, drawn from this model's seeded generator.
    for (auto& m : judge->modules(/*include_self=*/false)) {
      if (auto* lin = m->as<torch::nn::Linear>()) {
        double bound = 1.0 / std::sqrt(static_cast<double>(lin->options.in_features()));
        lin->weight.uniform_(-bound, bound, gen);
        lin->bias.uniform_(-bound, bound, gen);
      }
    }
    judge->to(net->device);
    judge->eval();
    optimizer = std::make_unique<torch::optim::Adam>(Parameters(),
                                                     torch::optim::AdamOptions(1e-3).betas({0.5, 0.999}));
  }
  std::lock_guard<std::mutex> lock(gen.mutex());
  rng_state = gen.get_state();
}

std::vector<torch::Tensor> Similarity::Parameters() const {
  std::vector<torch::Tensor> out(weights.begin(), weights.end());
  if (judge) {
    for (auto& p : judge->parameters()) out.push_back(p);
  }
  if (opts.trainable) {
    for (auto p : net->trunk.parameters()) out.push_back(p);
  }
  return out;
}

torch::Tensor Similarity::DistanceFromFeatures(const std::vector<torch::Tensor>& fa, const std::vector<torch::Tensor>& fb,
                                               bool training) const {
  torch::Tensor total;
  size_t k = 0;
  for (size_t i = 0; i < fa.size(); ++i) {
    for (auto branch : opts.branches) {
      auto ya = Transform(fa[i], branch);
      auto yb = Transform(fb[i], branch);
      if (opts.channel_norm) {
        ya = ya / torch::sqrt(ya.pow(2).sum(1, /*keepdim=*/true) + kNormEps);
        yb = yb / torch::sqrt(yb.pow(2).sum(1, /*keepdim=*/true) + kNormEps);
      }
      auto z = (ya - yb).pow(2);
      torch::Tensor r;
      if (opts.learned) {
        if (training) z = Dropout(z);
        r = (z * weights[k].view({1, -1, 1, 1})).sum(1);
      } else {
        r = z.sum(1);
      }
      r = r.mean({1, 2});
      total = total.defined() ? total + r : r;
      ++k;
    }
  }
  return total;
}

torch::Tensor Similarity::Distance(const torch::Tensor& a, const torch::Tensor& b, bool training) const {
  // One pass over both batches (eval mode: the batch does not change results).
  auto n = a.size(0);
  auto feats = net->Features(torch::cat({a, b}, 0), opts.layers);
  std::vector<torch::Tensor> fa, fb;
  for (auto& f : feats) {
    fa.push_back(f.narrow(0, 0, n));
    fb.push_back(f.narrow(0, n, n));
  }
  return DistanceFromFeatures(fa, fb, training);
}

torch::Tensor Similarity::Judge(const torch::Tensor& d0, const torch::Tensor& d1) const {
  Require(!judge.is_empty(), "this similarity has no judge: create it with learned weights");
  auto x = torch::stack({d0, d1, d0 - d1, d0 / (d1 + 0.1), d1 / (d0 + 0.1)}, 1);
  return judge->forward(x).view({-1});
}

std::pair<double, double> Similarity::TrainStep(const torch::Tensor& ref, const torch::Tensor& p0,
                                                const torch::Tensor& p1, const torch::Tensor& target, double lr) {
  Require(optimizer != nullptr, "training needs learned weights: create the similarity with learned: true");
  return WithRng(rng_state, [&]() {
    TrainableScope scope(*net, opts.trainable);
    judge->train();
    torch::AutoGradMode grad_mode(true);
    std::vector<torch::Tensor> fr, f0, f1;
    {
      // A frozen trunk needs no graph: only the weights and judge learn.
      torch::AutoGradMode trunk_grad(opts.trainable);
      fr = net->Features(ref, opts.layers);
      f0 = net->Features(p0, opts.layers);
      f1 = net->Features(p1, opts.layers);
    }
    auto d0 = DistanceFromFeatures(fr, f0, true);
    auto d1 = DistanceFromFeatures(fr, f1, true);
    auto prob = Judge(d0, d1);
    // BCE rejects a NaN input with an unclear message (inputs must lie in [0, 1]): say what happened.
    if (!torch::isfinite(prob).all().item<bool>()) {
      judge->eval();
      RefuseStep("the training loss is nan (the distances or the judge's output are not finite)");
    }
    auto loss = torch::binary_cross_entropy(prob, target);
    optimizer->zero_grad();
    loss.backward();
    // One device sync for the norm, not one per parameter.
    std::vector<torch::Tensor> squares;
    for (auto& p : Parameters()) {
      if (p.grad().defined()) squares.push_back(p.grad().pow(2).sum().to(torch::kFloat64));
    }
    double sq = squares.empty() ? 0.0 : torch::stack(squares).sum().item<double>();
    if (!std::isfinite(sq) || !std::isfinite(loss.item<double>())) {
      judge->eval();
      RequireFiniteStep(loss, Parameters());  // before step(): NaN never reaches the weights
    }
    for (auto& group : optimizer->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer->step();
    {
      torch::NoGradGuard no_grad;
      for (auto& w : weights) w.clamp_min_(0);
    }
    judge->eval();
    return std::make_pair(loss.item<double>(), std::sqrt(sq));
  });
}

void Similarity::SaveCheckpoint(const std::string& path, const std::string& meta) const {
  torch::serialize::OutputArchive ar;
  ar.write("meta", c10::IValue(meta));
  ar.write("rng", rng_state);
  auto params = Parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    auto key = std::to_string(i);
    ar.write("param." + key, params[i].detach().cpu());
    auto it = optimizer->state().find(AdamStateKey(*optimizer, params[i]));
    if (it == optimizer->state().end()) continue;
    auto& st = static_cast<torch::optim::AdamParamState&>(*it->second);
    ar.write("adam." + key + ".step", torch::tensor(static_cast<int64_t>(st.step())));
    ar.write("adam." + key + ".exp_avg", st.exp_avg().cpu());
    ar.write("adam." + key + ".exp_avg_sq", st.exp_avg_sq().cpu());
  }
  if (opts.trainable) {
    // BatchNorm running statistics change while the trunk trains.
    for (const auto& b : net->trunk.named_buffers()) ar.write("buffer." + b.name, b.value.cpu());
  }
  try {
    ar.save_to(path);
  } catch (const c10::Error& e) {
    throw UserError("cannot write checkpoint '" + path + "': " + e.what_without_backtrace());
  }
}

std::string Similarity::LoadCheckpoint(const std::string& path) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, net->device);
  } catch (const c10::Error& e) {
    throw UserError("cannot read checkpoint '" + path + "' (" + e.what_without_backtrace() +
                    "); delete it to start the run afresh");
  }
  auto mismatch = [&](const std::string& what) {
    return UserError("checkpoint '" + path + "' does not fit this model (" + what +
                     "); it belongs to another network, layers or compare: delete it to start afresh");
  };
  c10::IValue meta;
  ar.read("meta", meta);
  torch::NoGradGuard no_grad;
  auto params = Parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    auto key = std::to_string(i);
    torch::Tensor t;
    if (!ar.try_read("param." + key, t)) throw mismatch("parameter " + key + " missing");
    if (t.sizes() != params[i].sizes()) throw mismatch("parameter " + key + " has shape " + c10::str(t.sizes()));
    params[i].copy_(t);
    torch::Tensor step;
    auto id = AdamStateKey(*optimizer, params[i]);
    if (ar.try_read("adam." + key + ".step", step)) {
      auto st = std::make_unique<torch::optim::AdamParamState>();
      torch::Tensor m, v;
      ar.read("adam." + key + ".exp_avg", m);
      ar.read("adam." + key + ".exp_avg_sq", v);
      st->step(step.item<int64_t>());
      st->exp_avg(m.to(params[i].device()).clone());
      st->exp_avg_sq(v.to(params[i].device()).clone());
      optimizer->state()[id] = std::move(st);
    } else {
      optimizer->state().erase(id);
    }
  }
  torch::Tensor extra;
  if (ar.try_read("param." + std::to_string(params.size()), extra)) throw mismatch("it has more parameters");
  if (opts.trainable) {
    for (const auto& b : net->trunk.named_buffers()) {
      torch::Tensor t;
      if (!ar.try_read("buffer." + b.name, t)) throw mismatch("buffer " + b.name + " missing");
      b.value.copy_(t);
    }
  }
  torch::Tensor rng;
  ar.read("rng", rng);
  rng_state = rng.cpu().contiguous();
  return meta.toStringRef();
}

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
  Require(a.sizes() == b.sizes(), an + " and " + bn + " must have the same shape, got " + c10::str(a.sizes()) +
                                      " and " + c10::str(b.sizes()));
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

  explicit SimilarityWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SimilarityWrap>(info), owned_("similarity") {
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
      if (s->judge) prob = s->Judge(d0, d1).cpu();
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
    Require(judge.size(0) == ref.size(0), "judge must hold one value per triplet");
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
      for (auto& w : s->weights) ws.push_back(w.detach().cpu().clone());
      return [ws](Napi::Env env) -> Napi::Value { return TensorsToJs(env, ws); };
    });
  }

  // setWeights(FloatTensor[]) -> Promise<void>; one [C] tensor per (layer, branch).
  Napi::Value SetWeightsJs(const Napi::CallbackInfo& info) {
    auto s = owned_.Get();
    Require(s->opts.learned, "this similarity has no learned weights: create it with learned: true");
    Require(info[0].IsArray(), "weights must be an array of tensors");
    auto arr = info[0].As<Napi::Array>();
    Require(arr.Length() == s->weights.size(), "expected " + std::to_string(s->weights.size()) +
                                                   " weight vectors (layers x branches), got " + std::to_string(arr.Length()));
    std::vector<torch::Tensor> ws;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto w = FloatTensorFromJs(arr.Get(i), "weights[" + std::to_string(i) + "]", 1);
      Require(w.size(0) == s->weights[i].size(0), "weights[" + std::to_string(i) + "] must have " +
                                                      std::to_string(s->weights[i].size(0)) + " channels, got " +
                                                      std::to_string(w.size(0)));
      RequireFinite(w, "weights");
      Require(w.min().item<float>() >= 0, "channel weights must be non-negative");
      ws.push_back(w);
    }
    return Schedule(info.Env(), [s, ws]() -> Finisher {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < ws.size(); ++i) s->weights[i].copy_(ws[i]);
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
    for (size_t i = 0; i < s->channels.size(); ++i) arr.Set(i, Napi::Number::New(info.Env(), static_cast<double>(s->channels[i])));
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
