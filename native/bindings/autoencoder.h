// The autoencoder benchmark's N-API surface: its trainer and the probes.
#pragma once
#include <napi.h>

namespace dpl {

void InitAutoencoder(Napi::Env env, Napi::Object exports);

}  // namespace dpl
