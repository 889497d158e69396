// N-API surface of the road-delineation trainer (steps/delineation.h).
#pragma once
#include <napi.h>

namespace dpl {
void InitDelineation(Napi::Env env, Napi::Object exports);
}  // namespace dpl
