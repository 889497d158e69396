#include "steps/similarity.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <mutex>
#include <sstream>
#include <type_traits>

#include "errors.h"
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
      Require(f.dim() == 4, "layer features must be shaped (N, C, H, W) to compare them; got " + c10::str(f.sizes()),
              Code::Shape);
      channels.push_back(f.size(1));
    }
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(opts.seed);
  head = SimilarityHead(channels, opts.branches, opts.channel_norm, opts.learned, gen);
  head->to(net->device);
  if (opts.learned) {
    optimizer = std::make_unique<torch::optim::Adam>(Parameters(), torch::optim::AdamOptions(1e-3).betas({0.5, 0.999}));
  }
  std::lock_guard<std::mutex> lock(gen.mutex());
  rng_state = gen.get_state();
}

std::vector<torch::Tensor> Similarity::Parameters() const {
  std::vector<torch::Tensor> out(head->weights.begin(), head->weights.end());
  if (head->judge) {
    for (auto& p : head->judge->parameters()) out.push_back(p);
  }
  if (opts.trainable) {
    for (auto p : net->trunk.parameters()) out.push_back(p);
  }
  return out;
}

torch::Tensor Similarity::DistanceFromFeatures(const std::vector<torch::Tensor>& fa,
                                               const std::vector<torch::Tensor>& fb, bool training) {
  return head->Distance(fa, fb, training);
}

torch::Tensor Similarity::Distance(const torch::Tensor& a, const torch::Tensor& b, bool training) {
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

torch::Tensor Similarity::Judge(const torch::Tensor& d0, const torch::Tensor& d1) { return head->Judge(d0, d1); }

std::pair<double, double> Similarity::TrainStep(const torch::Tensor& ref, const torch::Tensor& p0,
                                                const torch::Tensor& p1, const torch::Tensor& target, double lr) {
  Require(optimizer != nullptr, "training needs learned weights: create the similarity with learned: true");
  return WithRng(rng_state, [&]() {
    TrainableScope scope(*net, opts.trainable);
    head->judge->train();
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
      head->judge->eval();
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
      head->judge->eval();
      RequireFiniteStep(loss, Parameters());  // before step(): NaN never reaches the weights
    }
    for (auto& group : optimizer->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer->step();
    {
      torch::NoGradGuard no_grad;
      for (auto& w : head->weights) w.clamp_min_(0);
    }
    head->judge->eval();
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
    throw UserError("cannot write checkpoint '" + path + "': " + e.what_without_backtrace(), Code::File);
  }
}

std::string Similarity::LoadCheckpoint(const std::string& path) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path, net->device);
  } catch (const c10::Error& e) {
    throw UserError(
        "cannot read checkpoint '" + path + "' (" + e.what_without_backtrace() + "); delete it to start the run afresh",
        Code::File);
  }
  auto mismatch = [&](const std::string& what) {
    return UserError("checkpoint '" + path + "' does not fit this model (" + what +
                         "); it belongs to another network, layers or compare: delete it to start afresh",
                     Code::File);
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

}  // namespace dpl
