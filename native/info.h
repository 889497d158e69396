// What this build links and can use: for `dpl-torch doctor` and for manifest checks.
#pragma once
#include <napi.h>

namespace dpl {
void InitInfo(Napi::Env env, Napi::Object exports);
}
