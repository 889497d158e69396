#include "classes.h"

#include <unordered_map>

#include "errors.h"

namespace dpl {
namespace {

struct Classes {
  std::unordered_map<std::string, Napi::FunctionReference> ctors;
};

Classes& Of(Napi::Env env) {
  auto* classes = env.GetInstanceData<Classes>();
  if (!classes) {
    classes = new Classes();
    env.SetInstanceData(classes);
  }
  return *classes;
}

}  // namespace

void RegisterClass(Napi::Env env, Napi::Object exports, const std::string& name, Napi::Function ctor) {
  Of(env).ctors[name] = Napi::Persistent(ctor);
  exports.Set(name, ctor);
}

Napi::Object NewInstanceOf(Napi::Env env, const std::string& name, Napi::Value arg) {
  auto& ctors = Of(env).ctors;
  auto it = ctors.find(name);
  Require(it != ctors.end(), "internal: class " + name + " is not registered");
  return it->second.New({arg});
}

bool IsInstanceOf(Napi::Env env, const std::string& name, const Napi::Object& obj) {
  auto& ctors = Of(env).ctors;
  auto it = ctors.find(name);
  return it != ctors.end() && obj.InstanceOf(it->second.Value());
}

}  // namespace dpl
