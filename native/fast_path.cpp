#include "fast_path.h"

#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>
#include <map>
#include <string>

#include "errors.h"
#include "executor.h"
#include "loss_network.h"

namespace dpl {
namespace {

// A module whose forward runs children [first, last] of the trunk in order.
torch::jit::Module JoinChildren(const LossNet& net, int64_t first, int64_t last) {
  torch::jit::Module seg(
      c10::QualifiedName("__torch__.dpl.Segment_" + std::to_string(first) + "_" + std::to_string(last)));
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

namespace {

// Stores a frozen segment's 4-d constants (its convolution weights) in channels-last
// order. With channels-last input, ATen's oneDNN convolution and its backward take
// `weight.contiguous(channels_last)` on every call: a copy of every weight, twice per
// training step. Stored that way once, those are no-ops; the values are unchanged, so
// results are bit-identical (vgg16's grad pass at 2 threads: 436 -> 387 ms).
void ChannelsLastConstants(torch::jit::Module& seg) {
  std::vector<torch::jit::Block*> blocks{seg.get_method("forward").graph()->block()};
  while (!blocks.empty()) {
    torch::jit::Block* block = blocks.back();
    blocks.pop_back();
    for (torch::jit::Node* node : block->nodes()) {
      for (torch::jit::Block* sub : node->blocks()) blocks.push_back(sub);
      if (node->kind() != c10::prim::Constant || !node->hasAttribute(c10::attr::value) ||
          node->kindOf(c10::attr::value) != torch::jit::AttributeKind::t)
        continue;
      const at::Tensor& t = node->t(c10::attr::value);
      if (t.dim() == 4 && !t.is_contiguous(at::MemoryFormat::ChannelsLast))
        node->t_(c10::attr::value, t.contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
}

int64_t WeightBytes(const torch::jit::Module& m) {
  int64_t bytes = 0;
  for (const auto& p : m.parameters()) bytes += p.numel() * p.element_size();
  for (const auto& b : m.buffers()) bytes += b.numel() * b.element_size();
  return bytes;
}

}  // namespace

std::vector<torch::jit::Module> FastPath::Segments(const LossNet& net, const std::vector<int64_t>& ends,
                                                   bool inference) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->inference == inference && it->ends == ends) {
      entries_.splice(entries_.begin(), entries_, it);  // now the most recently used
      return it->segments;
    }
  }
  if (limit_ == 0) limit_ = kCopiesOfTrunk * std::max<int64_t>(WeightBytes(net.trunk), 1);
  std::vector<torch::jit::Module> segs;
  int64_t bytes = 0;
  int64_t first = 0;
  for (auto last : ends) {
    auto seg = JoinChildren(net, first, last);
    bytes += WeightBytes(seg);  // what the frozen copy duplicates
    try {
      segs.push_back(options_.freeze ? torch::jit::freeze(seg) : seg);
    } catch (const c10::Error& e) {
      Fail(Code::Torch, "the fast path could not freeze layers " + std::to_string(first) + ".." + std::to_string(last) +
                            " of this network (" + e.what_without_backtrace() + "); load it without { fast: true }");
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
    } else if (options_.freeze && options_.channels_last) {
      ChannelsLastConstants(segs.back());
    }
    first = last + 1;
  }
  // Unfrozen segments share the trunk's weights: nothing to bound.
  if (!options_.freeze) bytes = 0;
  entries_.push_front(Entry{inference, ends, segs, bytes});
  bytes_ += bytes;
  while (bytes_ > limit_ && entries_.size() > 1) {
    bytes_ -= entries_.back().bytes;
    entries_.pop_back();
  }
  return segs;
}

std::vector<torch::Tensor> FastPath::Features(const LossNet& net, const torch::Tensor& normalized,
                                              const std::vector<int64_t>& layers) {
  std::vector<int64_t> ends(layers);
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
  // Without grad (target features, evaluation) on CPU: the inference segments, which
  // take NCHW input and convert to oneDNN's own layout themselves.
  bool inference = options_.freeze && !at::GradMode::is_enabled() && net.device.is_cpu();
  auto segs = Segments(net, ends, inference);
  torch::Tensor x =
      options_.channels_last && !inference ? normalized.contiguous(torch::MemoryFormat::ChannelsLast) : normalized;
  std::map<int64_t, torch::Tensor> at;
  for (size_t s = 0; s < segs.size(); ++s) {
    auto& seg = segs[s];  // forward() is non-const
    try {
      x = seg.forward({x}).toTensor();
    } catch (const std::exception&) {  // x is still this segment's input
      // TorchScript interpreter errors are not always c10::Error (as in LossNet::Features).
      Fail(Code::Shape, "layers up to " + std::to_string(ends[s]) +
                            " of the loss network failed on a feature of shape " + c10::str(x.sizes()) +
                            " (a larger image may be needed): " + LastLine(DescribeCurrentException()));
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
  bool on = !info[1].IsNull() && !info[1].IsUndefined();
  FastOptions opts;
  bool auto_cl = false;
  if (on) {
    Require(info[1].IsObject(), "fast path options must be an object or null");
    auto o = info[1].As<Napi::Object>();
    opts.freeze = BoolField(o, "freeze", opts.freeze);
    auto cl = o.Get("channelsLast");
    auto_cl = cl.IsUndefined() || (cl.IsString() && cl.As<Napi::String>().Utf8Value() == "auto");
    if (!auto_cl) opts.channels_last = BoolField(o, "channelsLast", false);
  }
  // On the tensor thread, so no Features call sees a half-set path, and the trunk's
  // parameters are walked only there.
  return Schedule(info.Env(), [net, on, opts, auto_cl]() mutable -> Finisher {
    if (auto_cl) opts.channels_last = PreferChannelsLast(net->trunk);
    net->fast = on ? std::make_shared<FastPath>(opts) : nullptr;
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
}

// fastPathStats(network) -> Promise<{sets, bytes, limit} | null>: what the fast path holds (tests).
Napi::Value FastPathStatsJs(const Napi::CallbackInfo& info) {
  auto net = LossNetFromJs(info[0], "network");
  return Schedule(info.Env(), [net]() -> Finisher {
    if (!net->fast) return [](Napi::Env env) -> Napi::Value { return env.Null(); };
    auto s = net->fast->GetStats();
    return [s](Napi::Env env) -> Napi::Value {
      auto out = Napi::Object::New(env);
      out.Set("sets", static_cast<double>(s.sets));
      out.Set("bytes", static_cast<double>(s.bytes));
      out.Set("limit", static_cast<double>(s.limit));
      return out;
    };
  });
}

}  // namespace

void InitFastPath(Napi::Env env, Napi::Object exports, Napi::Object internal) {
  exports.Set("setFastPath", Napi::Function::New(env, SetFastPathJs));
  internal.Set("fastPathStats", Napi::Function::New(env, FastPathStatsJs));
}

}  // namespace dpl
