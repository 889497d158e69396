// The fast path of a frozen loss network: the children between the layers asked
// for are joined into one TorchScript module per segment and frozen
// (torch::jit::freeze), which folds each BatchNorm into the convolution before
// it, also across children (VGG-BN keeps conv and BN in separate children), and
// turns weights into constants. Gradients still flow to the input images.
// Optionally runs in channels-last memory format. Passes without grad on CPU (target
// features, evaluation) use a second copy run through torch::jit::optimize_for_inference:
// prepacked oneDNN convolutions fused with their ReLUs, 15-45% faster forward here,
// features equal within 1.4e-6, no backward. Built per layer set, on first use, and
// kept within a bound (FastPath::kCopiesOfTrunk), least recently used dropped first.
#pragma once
#include <napi.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <list>
#include <memory>
#include <vector>

namespace dpl {

struct LossNet;

struct FastOptions {
  bool freeze = true;          // join children per segment and torch::jit::freeze them
  bool channels_last = false;  // run the trunk in channels-last memory format
};

// The channels-last choice of `fast: true` ('auto') where no measured choice applies
// (other devices, networks outside the study; on CPU src/loss-network.ts's
// CPU_CHANNELS_LAST decides for the study networks): on where at least a quarter of
// the convolutions are 1x1, or the stem convolution is 3x3 or smaller.
bool PreferChannelsLast(const torch::jit::Module& trunk);

class FastPath {
 public:
  // The frozen copies kept per network hold at most this many times the bytes of the
  // network's own weights (and always the copy in use); past that, the layer lists
  // used longest ago are dropped, and rebuilt if asked for again.
  static constexpr int64_t kCopiesOfTrunk = 4;

  explicit FastPath(FastOptions options) : options_(options) {}
  const FastOptions& options() const { return options_; }
  // Drops the frozen segments (they hold copies of the weights); rebuilt on next use.
  void Clear() {
    entries_.clear();
    bytes_ = 0;
  }

  // Same contract as LossNet::Features (images already normalised by the caller).
  std::vector<torch::Tensor> Features(const LossNet& net, const torch::Tensor& normalized,
                                      const std::vector<int64_t>& layers);

  struct Stats {
    int64_t sets = 0;   // layer lists (each with or without grad) held
    int64_t bytes = 0;  // their weights' bytes
    int64_t limit = 0;  // kCopiesOfTrunk times the trunk's weights (0 before first use)
  };
  Stats GetStats() const { return {static_cast<int64_t>(entries_.size()), bytes_, limit_}; }

 private:
  // Frozen modules for segments ending at each of the sorted, unique layers; with
  // `inference`, also optimized for inference (no backward).
  std::vector<torch::jit::Module> Segments(const LossNet& net, const std::vector<int64_t>& ends, bool inference);

  struct Entry {
    bool inference;
    std::vector<int64_t> ends;
    std::vector<torch::jit::Module> segments;
    int64_t bytes;
  };
  FastOptions options_;
  std::list<Entry> entries_;  // most recently used first
  int64_t bytes_ = 0;
  int64_t limit_ = 0;
};

// setFastPath(network, {freeze, channelsLast: true|false|'auto'} | null) -> Promise<void>;
// on `internal`: fastPathStats(network) -> Promise<{sets, bytes, limit} | null>.
void InitFastPath(Napi::Env env, Napi::Object exports, Napi::Object internal);

}  // namespace dpl
