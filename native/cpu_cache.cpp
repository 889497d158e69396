#include "cpu_cache.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/version.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

// LibTorch 2.3 made Allocator::allocate non-const and added a pure copy_data.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define DPL_ALLOCATE_CONST
#else
#define DPL_ALLOCATE_CONST const
#endif

namespace dpl {
namespace {

// Only blocks of at least 4 MiB are cached. Smaller ones mostly come from malloc's
// free lists without page faults, and malloc hands back whichever block was freed
// last, still in cache, where this cache could only offer an older block of the
// same size: caching from 64 KiB made alexnet's step 3% slower (bench/README.md).
// 4 MiB is above the 2 MiB L2 here, so a cached block of that size is not
// displacing a warm one.
constexpr size_t kMinCached = size_t{4} << 20;
// Each block starts with a header that records its size, so the deleter needs only
// the data pointer: oneDNN (ideep) frees through the raw interface, which requires
// the context to be the data pointer. 64 bytes keep the data as aligned as
// LibTorch's own allocator does.
constexpr size_t kHeader = 64;

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t limit) : limit_(limit) {}

  c10::DataPtr allocate(size_t n) DPL_ALLOCATE_CONST override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (n == 0) return {nullptr, nullptr, &Release, cpu};
    void* base = n >= kMinCached ? Take(n) : nullptr;
    if (!base) {
      base = c10::alloc_cpu(n + kHeader);  // throws on out-of-memory
      *static_cast<size_t*>(base) = n;
    }
    void* data = static_cast<char*>(base) + kHeader;
    return {data, data, &Release, cpu};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

  // LibTorch 2.3+ declares this pure virtual; on 1.x it is an unused extra method.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

  // The deleter is a plain function pointer: it reaches the one installed instance.
  // It must not throw (it runs in destructors).
  static void Release(void* data) noexcept {
    if (!data) return;
    void* base = static_cast<char*>(data) - kHeader;
    size_t n = *static_cast<size_t*>(base);
    if (n >= kMinCached && instance_->Keep(base, n)) return;
    c10::free_cpu(base);
  }

  CpuCacheStats Stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {cached_, limit_, hits_, misses_, evicted_};
  }

  void Empty() {
    std::vector<void*> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& b : lru_) blocks.push_back(b.base);
      lru_.clear();
      by_size_.clear();
      cached_ = 0;
    }
    for (auto* b : blocks) c10::free_cpu(b);
  }

  static CachingCpuAllocator* instance_;

 private:
  struct Block {
    void* base;
    size_t size;
  };
  using Lru = std::list<Block>;

  // The most recently freed block of exactly n bytes, or null.
  void* Take(size_t n) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_size_.find(n);
    if (it == by_size_.end() || it->second.empty()) {
      ++misses_;
      return nullptr;
    }
    auto block = it->second.back();
    it->second.pop_back();
    if (it->second.empty()) by_size_.erase(it);
    void* base = block->base;
    lru_.erase(block);
    cached_ -= n;
    ++hits_;
    return base;
  }

  // Keeps a freed block, first releasing the blocks freed longest ago until it fits
  // under the cap. Blocks of a size no longer asked for (a shape that came and went)
  // age to the back and go first; a size in use every step stays near the front.
  bool Keep(void* base, size_t n) noexcept {
    if (n > limit_) return false;
    std::vector<void*> evicted;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      while (cached_ + n > limit_) {
        const Block oldest = lru_.back();
        evicted.push_back(oldest.base);  // first: what follows cannot throw
        auto same = by_size_.find(oldest.size);
        same->second.pop_front();  // blocks of one size sit in the order they were freed
        if (same->second.empty()) by_size_.erase(same);
        lru_.pop_back();
        cached_ -= oldest.size;
        ++evicted_;
      }
      lru_.push_front(Block{base, n});
      try {
        by_size_[n].push_back(lru_.begin());
      } catch (...) {
        lru_.pop_front();
        throw;
      }
      cached_ += n;
    } catch (...) {  // out of memory for the lists: free the block instead
      for (auto* b : evicted) c10::free_cpu(b);
      return false;
    }
    for (auto* b : evicted) c10::free_cpu(b);  // outside the lock: returning memory can be slow
    return true;
  }

  const size_t limit_;
  mutable std::mutex mutex_;
  mutable Lru lru_;  // most recently freed first
  mutable std::unordered_map<size_t, std::deque<Lru::iterator>> by_size_;
  mutable size_t cached_ = 0;
  mutable size_t hits_ = 0;
  mutable size_t misses_ = 0;
  mutable size_t evicted_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance_ = nullptr;

constexpr size_t kDefaultLimitMb = 2048;
// The DPL_TORCH_CPU_CACHE_MB value that was not a whole number of MiB (the default
// is used then); doctor reports it.
std::string rejected_setting;

size_t LimitFromEnv() {
  const char* v = std::getenv("DPL_TORCH_CPU_CACHE_MB");
  if (!v || !*v) return kDefaultLimitMb << 20;
  std::string s(v);
  bool digits = s.size() <= 12 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!digits) {
    rejected_setting = s;
    return kDefaultLimitMb << 20;
  }
  return static_cast<size_t>(std::stoull(s)) << 20;
}

Napi::Value StatsJs(const Napi::CallbackInfo& info) {
  auto s = GetCpuCacheStats();
  auto out = Napi::Object::New(info.Env());
  out.Set("cachedBytes", static_cast<double>(s.cachedBytes));
  out.Set("limitBytes", static_cast<double>(s.limitBytes));
  out.Set("hits", static_cast<double>(s.hits));
  out.Set("misses", static_cast<double>(s.misses));
  out.Set("evicted", static_cast<double>(s.evicted));
  if (!rejected_setting.empty()) out.Set("rejectedSetting", rejected_setting);
  return out;
}

Napi::Value EmptyJs(const Napi::CallbackInfo& info) {
  EmptyCpuCache();
  return info.Env().Undefined();
}

}  // namespace

void InstallCpuCache() {
  static std::once_flag once;
  std::call_once(once, [] {
    size_t limit = LimitFromEnv();
    if (limit == 0) return;
    // Never deleted: tensors freed at process exit still reach it.
    CachingCpuAllocator::instance_ = new CachingCpuAllocator(limit);
    // Priority 1 wins over LibTorch's default CPU allocator (registered at 0).
    c10::SetCPUAllocator(CachingCpuAllocator::instance_, 1);
  });
}

CpuCacheStats GetCpuCacheStats() {
  return CachingCpuAllocator::instance_ ? CachingCpuAllocator::instance_->Stats() : CpuCacheStats{};
}

void EmptyCpuCache() {
  if (CachingCpuAllocator::instance_) CachingCpuAllocator::instance_->Empty();
}

void InitCpuCache(Napi::Env env, Napi::Object exports) {
  InstallCpuCache();
  exports.Set("cpuCacheStats", Napi::Function::New(env, StatsJs));
  exports.Set("emptyCpuCache", Napi::Function::New(env, EmptyJs));
}

}  // namespace dpl
