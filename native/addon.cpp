// Module entry: each concern registers its own functions and classes.
#include <napi.h>

#include "bench.h"
#include "bindings/autoencoder.h"
#include "cpu_cache.h"
#include "fast_path.h"
#include "image_ops.h"
#include "info.h"
#include "loss_network.h"
#include "bindings/delineation.h"
#include "bindings/similarity.h"
#include "bindings/super_resolution.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dpl::InitCpuCache(env, exports);  // first: before any tensor is made
  dpl::InitInfo(env, exports);
  dpl::InitLossNetwork(env, exports);
  dpl::InitFastPath(env, exports);
  dpl::InitBench(env, exports);
  dpl::InitSimilarity(env, exports);
  dpl::InitImageOps(env, exports);
  dpl::InitSuperResolution(env, exports);
  dpl::InitDelineation(env, exports);
  dpl::InitAutoencoder(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(dpl_torch, Init)
