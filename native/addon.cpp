// Module entry: each concern registers its own functions and classes.
#include <napi.h>

#include "bench.h"
#include "bindings/autoencoder.h"
#include "cpu_cache.h"
#include "device_tensor.h"
#include "errors.h"
#include "executor.h"
#include "fast_path.h"
#include "image_ops.h"
#include "info.h"
#include "loss_network.h"
#include "bindings/delineation.h"
#include "bindings/similarity.h"
#include "bindings/super_resolution.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dpl::BindJsThread(env);           // first: errors thrown from here on carry their code
  dpl::InitCpuCache(env, exports);  // before any tensor is made
  dpl::InitExecutor(env, exports);
  dpl::InitInfo(env, exports);
  // Entry points for bench/ and the study's step timing and for tests: not API, not
  // typed in the public surface, and free to change.
  auto internal = Napi::Object::New(env);
  exports.Set("internal", internal);
  dpl::InitErrors(env, internal);
  dpl::InitLossNetwork(env, exports);
  dpl::InitDeviceTensor(env, exports);
  dpl::InitFastPath(env, exports, internal);
  dpl::InitBench(env, internal);
  dpl::InitSimilarity(env, exports);
  dpl::InitImageOps(env, exports);
  dpl::InitSuperResolution(env, exports);
  dpl::InitDelineation(env, exports);
  dpl::InitAutoencoder(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(dpl_torch, Init)
