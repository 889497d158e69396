// Per-environment registry of the addon's JS classes, so native code can make
// instances (e.g. a Promise resolving to a new LossNetwork). Kept per env, not
// static, so the addon also works inside worker_threads.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

namespace dpl {

void RegisterClass(Napi::Env env, Napi::Object exports, const std::string& name, Napi::Function ctor);

// Makes an instance of a registered class whose constructor takes one External
// carrying a std::shared_ptr<State>.
template <typename State>
Napi::Object NewWrapped(Napi::Env env, const std::string& name, std::shared_ptr<State> state);

bool IsInstanceOf(Napi::Env env, const std::string& name, const Napi::Object& obj);

// Implementation detail of NewWrapped.
Napi::Object NewInstanceOf(Napi::Env env, const std::string& name, Napi::Value arg);

template <typename State>
Napi::Object NewWrapped(Napi::Env env, const std::string& name, std::shared_ptr<State> state) {
  auto* box = new std::shared_ptr<State>(std::move(state));
  auto ext =
      Napi::External<std::shared_ptr<State>>::New(env, box, [](Napi::Env, std::shared_ptr<State>* p) { delete p; });
  return NewInstanceOf(env, name, ext);
}

// In a wrapped class's constructor: the state passed by NewWrapped, or null when
// constructed from JS directly (which the classes refuse).
template <typename State>
std::shared_ptr<State> UnwrapState(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsExternal()) return nullptr;
  return *info[0].As<Napi::External<std::shared_ptr<State>>>().Data();
}

}  // namespace dpl
