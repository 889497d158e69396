#include "fast_path.h"

#include <algorithm>
#include <string>

#include "errors.h"
#include "executor.h"
#include "loss_network.h"

namespace dpl {
namespace {

// A module whose forward runs children [first, last] of the trunk in order.
torch::jit::Module JoinChildren(const LossNet& net, int64_t first, int64_t last) {
  torch::jit::Module seg(c10::QualifiedName("__torch__.dpl.Segment_" + std::to_string(first) + "_" +
                                            std::to_string(last)));
  seg.register_attribute("training", c10::BoolType::get(), false);
  std::string src = "def forward(self, x):\n";
  for (int64_t i = first; i <= last; ++i) {
    auto name = "c" + std::to_string(i);
    seg.register_module(name, net.children[i]);
    src += "    x = self." + name + ".forward(x)\n";
  }
  src += "    return x\n";
  seg.define(src);
  return seg;
}

}  // namespace

bool PreferChannelsLast(const torch::jit::Module& trunk) {
  int64_t convs = 0, pointwise = 0, stem_kernel = 0;
  for (const auto& p : trunk.named_parameters()) {
    const auto& w = p.value;
    if (w.dim() != 4) continue;
    if (convs++ == 0) stem_kernel = w.size(3);
    pointwise += w.size(2) == 1 && w.size(3) == 1;
  }
  return convs > 0 && (4 * pointwise >= convs || stem_kernel <= 3);
}

const std::vector<torch::jit::Module>& FastPath::Segments(const LossNet& net, const std::vector<int64_t>& ends,
                                                          bool inference) {
  auto& cache = inference ? inference_ : segments_;
  auto found = cache.find(ends);
  if (found != cache.end()) return found->second;
  std::vector<torch::jit::Module> segs;
  int64_t first = 0;
  for (auto last : ends) {
    auto seg = JoinChildren(net, first, last);
    try {
      segs.push_back(options_.freeze ? torch::jit::freeze(seg) : seg);
    } catch (const c10::Error& e) {
      throw UserError("the fast path could not freeze layers " + std::to_string(first) + ".." +
                      std::to_string(last) + " of this network (" + e.what_without_backtrace() +
                      "); load it without { fast: true }");
    }
    if (inference) {
      // optimize_for_inference rewrites the frozen graph in place (it is a fresh
      // copy here) into prepacked oneDNN convolutions fused with their ReLUs; those
      // have no backward, so only passes without grad use it. If a network has
      // something the pass cannot take, the frozen segment serves.
      try {
        segs.back() = torch::jit::optimize_for_inference(segs.back());
      } catch (const c10::Error&) {
      }
    }
    first = last + 1;
  }
  return cache.emplace(ends, std::move(segs)).first->second;
}

std::vector<torch::Tensor> FastPath::Features(const LossNet& net, const torch::Tensor& normalized,
                                              const std::vector<int64_t>& layers) {
  std::vector<int64_t> ends(layers);
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
  // Without grad (target features, evaluation) on CPU: the inference segments, which
  // take NCHW input and convert to oneDNN's own layout themselves.
  bool inference = options_.freeze && !at::GradMode::is_enabled() && net.device.is_cpu();
  const auto& segs = Segments(net, ends, inference);
  torch::Tensor x = options_.channels_last && !inference ? normalized.contiguous(torch::MemoryFormat::ChannelsLast)
                                                          : normalized;
  std::map<int64_t, torch::Tensor> at;
  for (size_t s = 0; s < segs.size(); ++s) {
    auto seg = segs[s];  // a handle; forward() is non-const
    try {
      x = seg.forward({x}).toTensor();
    } catch (const c10::Error& e) {  // x is still this segment's input
      throw UserError("layers up to " + std::to_string(ends[s]) + " of the loss network failed on a feature of shape " +
                      c10::str(x.sizes()) + " (a larger image may be needed): " + e.what_without_backtrace());
    }
    at[ends[s]] = x;
  }
  std::vector<torch::Tensor> out;
  out.reserve(layers.size());
  for (auto l : layers) out.push_back(at[l]);
  return out;
}

namespace {

bool BoolField(const Napi::Object& o, const char* name, bool fallback) {
  auto v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  Require(v.IsBoolean(), std::string("fast path option ") + name + " must be true or false");
  return v.As<Napi::Boolean>().Value();
}

Napi::Value SetFastPathJs(const Napi::CallbackInfo& info) {
  auto net = LossNetFromJs(info[0], "network");
  std::shared_ptr<FastPath> fast;
  if (!info[1].IsNull() && !info[1].IsUndefined()) {
    Require(info[1].IsObject(), "fast path options must be an object or null");
    auto o = info[1].As<Napi::Object>();
    FastOptions opts;
    opts.freeze = BoolField(o, "freeze", opts.freeze);
    auto cl = o.Get("channelsLast");
    bool auto_cl = cl.IsUndefined() || (cl.IsString() && cl.As<Napi::String>().Utf8Value() == "auto");
    if (!auto_cl) opts.channels_last = BoolField(o, "channelsLast", false);
    if (auto_cl) opts.channels_last = PreferChannelsLast(net->trunk);
    fast = std::make_shared<FastPath>(opts);
  }
  // On the tensor thread, so no Features call sees a half-set path.
  return Schedule(info.Env(), [net, fast]() -> Finisher {
    net->fast = fast;
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
}

}  // namespace

void InitFastPath(Napi::Env env, Napi::Object exports) {
  exports.Set("setFastPath", Napi::Function::New(env, SetFastPathJs));
}

}  // namespace dpl
