#include "convert.h"

#include <cmath>
#include <cstring>

#include "errors.h"

namespace dpl {
namespace {

std::vector<int64_t> ShapeOf(const Napi::Object& obj, const std::string& what) {
  Require(obj.Has("shape"), what + " needs a `shape` array");
  auto shape = IntListFromJs(obj.Get("shape"), what + ".shape");
  Require(!shape.empty(), what + ".shape must not be empty", Code::Shape);
  return shape;
}

template <typename Array>
torch::Tensor TensorFromJs(const Napi::Value& value, const std::string& what, int rank, napi_typedarray_type expected,
                           const char* type_name, torch::ScalarType dtype) {
  Require(value.IsObject() && !value.IsTypedArray(),
          what + " must be an object { data: " + type_name + ", shape: number[] }");
  auto obj = value.As<Napi::Object>();
  Napi::Value data = obj.Get("data");
  Require(data.IsTypedArray() && data.As<Napi::TypedArray>().TypedArrayType() == expected,
          what + ".data must be a " + type_name, data.IsTypedArray() ? Code::Dtype : Code::Arg);
  auto shape = ShapeOf(obj, what);
  if (rank > 0) {
    Require(static_cast<int>(shape.size()) == rank,
            what + ".shape must have " + std::to_string(rank) + " dimensions, got " + std::to_string(shape.size()),
            Code::Shape);
  }
  int64_t count = 1;
  for (auto d : shape) {
    Require(d > 0, what + ".shape has a zero-sized dimension", Code::Shape);
    // No JS typed array holds 2^40 elements; this also keeps the product from overflowing.
    Require(d <= (int64_t{1} << 40) / count, what + ".shape holds more elements than any typed array", Code::Shape);
    count *= d;
  }
  auto array = data.As<Array>();
  Require(static_cast<int64_t>(array.ElementLength()) == count,
          what + ".data has " + std::to_string(array.ElementLength()) + " elements but its shape needs " +
              std::to_string(count),
          Code::Shape);
  // A copy, made here so JS may reuse its buffer at once; the allocator is thread-safe.
  torch::Tensor tensor;
  try {
    tensor = torch::empty(shape, torch::TensorOptions().dtype(dtype));
  } catch (const c10::Error& e) {
    Fail(Code::Torch, "cannot allocate " + what + ": " + e.what_without_backtrace());
  }
  std::memcpy(tensor.data_ptr(), array.Data(), array.ByteLength());
  return tensor;
}

}  // namespace

torch::Tensor FloatTensorFromJs(const Napi::Value& value, const std::string& what, int rank) {
  return TensorFromJs<Napi::Float32Array>(value, what, rank, napi_float32_array, "Float32Array", torch::kFloat32);
}

torch::Tensor ByteTensorFromJs(const Napi::Value& value, const std::string& what, int rank) {
  return TensorFromJs<Napi::Uint8Array>(value, what, rank, napi_uint8_array, "Uint8Array", torch::kUInt8);
}

void RequireFinite(const torch::Tensor& t, const std::string& what) {
  Require(torch::isfinite(t).all().item<bool>(), what + " contains NaN or infinite values", Code::Nan);
}

Napi::Object TensorToJs(Napi::Env env, const torch::Tensor& t) {
  auto cpu = t.detach().to(torch::kCPU).contiguous();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array shape = Napi::Array::New(env, cpu.dim());
  for (int64_t i = 0; i < cpu.dim(); ++i) shape.Set(i, Napi::Number::New(env, cpu.size(i)));
  if (cpu.scalar_type() == torch::kUInt8) {
    auto arr = Napi::Uint8Array::New(env, cpu.numel());
    std::memcpy(arr.Data(), cpu.data_ptr(), cpu.numel());
    out.Set("data", arr);
  } else {
    cpu = cpu.to(torch::kFloat32);
    auto arr = Napi::Float32Array::New(env, cpu.numel());
    std::memcpy(arr.Data(), cpu.data_ptr(), cpu.numel() * sizeof(float));
    out.Set("data", arr);
  }
  out.Set("shape", shape);
  return out;
}

torch::Tensor HostCopy(const torch::Tensor& t) {
  auto cpu = t.detach().to(torch::kCPU).contiguous();
  return cpu.scalar_type() == torch::kUInt8 ? cpu : cpu.to(torch::kFloat32);
}

Napi::Array TensorsToJs(Napi::Env env, const std::vector<torch::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) arr.Set(i, TensorToJs(env, ts[i]));
  return arr;
}

std::vector<int64_t> IntListFromJs(const Napi::Value& value, const std::string& what) {
  Require(value.IsArray(), what + " must be an array of integers");
  auto arr = value.As<Napi::Array>();
  std::vector<int64_t> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    Require(v.IsNumber(), what + " must hold only numbers");
    double d = v.As<Napi::Number>().DoubleValue();
    Require(std::isfinite(d) && d >= 0 && std::floor(d) == d,
            what + " must hold non-negative integers, got " + std::to_string(d));
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

std::string StringFromJs(const Napi::Value& value, const std::string& what) {
  Require(value.IsString(), what + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace dpl
