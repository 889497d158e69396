// N-API surface of the super-resolution trainer (steps/super_resolution.h).
#pragma once
#include <napi.h>

namespace dpl {
void InitSuperResolution(Napi::Env env, Napi::Object exports);
}  // namespace dpl
