// Module entry: each concern registers its own functions and classes.
#include <napi.h>

#include "bench.h"
#include "fast_path.h"
#include "info.h"
#include "loss_network.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dpl::InitInfo(env, exports);
  dpl::InitLossNetwork(env, exports);
  dpl::InitFastPath(env, exports);
  dpl::InitBench(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(dpl_torch, Init)
