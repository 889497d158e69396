// N-API surface of the perceptual similarity (steps/similarity.h).
#pragma once
#include <napi.h>

namespace dpl {
void InitSimilarity(Napi::Env env, Napi::Object exports);
}  // namespace dpl
