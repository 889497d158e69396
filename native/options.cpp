#include "options.h"

#include <cmath>

#include "device.h"
#include "errors.h"

namespace dpl {
namespace {
bool Absent(const Napi::Object& o, const char* key) { return !o.Has(key) || o.Get(key).IsUndefined(); }
}  // namespace

double NumberField(const Napi::Object& o, const char* key, double fallback) {
  if (Absent(o, key)) return fallback;
  Require(o.Get(key).IsNumber(), std::string("options.") + key + " must be a number");
  double v = o.Get(key).As<Napi::Number>().DoubleValue();
  Require(std::isfinite(v) && v >= 0, std::string("options.") + key + " must be a non-negative number");
  return v;
}

int64_t IntField(const Napi::Object& o, const char* key, int64_t fallback) {
  if (Absent(o, key)) return fallback;
  double v = NumberField(o, key, 0);
  // 2^53: beyond it doubles no longer hold every integer.
  Require(std::floor(v) == v && v <= 9007199254740992.0,
          std::string("options.") + key + " must be a non-negative integer");
  return static_cast<int64_t>(v);
}

std::string StringField(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (Absent(o, key)) return fallback;
  Require(o.Get(key).IsString(), std::string("options.") + key + " must be a string");
  return o.Get(key).As<Napi::String>().Utf8Value();
}

torch::Device DeviceField(const Napi::Object& o, const char* fallback) {
  Require(fallback != nullptr || !Absent(o, "device"), "options.device must be 'cpu', 'cuda' or 'cuda:N'");
  return ParseDevice(StringField(o, "device", fallback ? fallback : ""));
}

Napi::Object OptionsObject(const Napi::Value& value, const std::string& what) {
  Require(value.IsObject(), what + " must be an object");
  return value.As<Napi::Object>();
}

}  // namespace dpl
