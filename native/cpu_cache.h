// A caching CPU allocator for LibTorch tensors.
//
// A training loop allocates the same large tensors every step. glibc serves large
// blocks with mmap (or returns freed heap tops to the kernel), so every step pays
// a page fault for each fresh 4 KiB page: 10-35k faults per VGG16 step at batch 4,
// 128x128 here, a few per cent of the step. This allocator keeps freed large blocks
// (4 MiB and up) by exact size and hands them out again, as PyTorch's CUDA allocator
// does on the GPU. DPL_TORCH_CPU_CACHE_MB caps
// what it keeps (default 2048; 0 turns it off); at the cap the blocks freed longest
// ago go back to the system first (LRU by bytes), so sizes no longer in use (shapes
// that came and went) leave, and sizes reused every step stay.
#pragma once
#include <napi.h>

#include <cstddef>

namespace dpl {

struct CpuCacheStats {
  size_t cachedBytes = 0;  // freed blocks kept for reuse
  size_t limitBytes = 0;   // the cap (0: the cache is off)
  size_t hits = 0;         // allocations served from the cache
  size_t misses = 0;       // large allocations that went to the system
  size_t evicted = 0;      // cached blocks released to make room (least recently freed first)
};

// Installs the allocator once per process (before any tensor work), reading the cap
// from the environment.
void InstallCpuCache();
CpuCacheStats GetCpuCacheStats();
// Returns every cached block to the system.
void EmptyCpuCache();
void InitCpuCache(Napi::Env env, Napi::Object exports);

}  // namespace dpl
