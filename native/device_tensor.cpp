#include "device_tensor.h"

#include "classes.h"
#include "convert.h"
#include "device.h"
#include "errors.h"
#include "executor.h"
#include "handle.h"
#include "loss_network.h"

namespace dpl {
namespace {

class DeviceTensorWrap : public Napi::ObjectWrap<DeviceTensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "DeviceTensor",
        {InstanceMethod("toHost", &DeviceTensorWrap::ToHostJs), InstanceMethod("dispose", &DeviceTensorWrap::DisposeJs),
         InstanceAccessor("shape", &DeviceTensorWrap::ShapeJs, nullptr),
         InstanceAccessor("device", &DeviceTensorWrap::DeviceJs, nullptr),
         InstanceAccessor("disposed", &DeviceTensorWrap::DisposedJs, nullptr)});
  }

  explicit DeviceTensorWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<DeviceTensorWrap>(info), owned_("DeviceTensor") {
    auto state = UnwrapState<DeviceTensorState>(info);
    Require(state != nullptr, "use toDevice() to make a DeviceTensor");
    // Kept apart from the state, so shape and device stay readable after dispose().
    shape_ = state->tensor.sizes().vec();
    device_ = state->tensor.device().str();
    owned_.Reset(state);
  }

  std::shared_ptr<DeviceTensorState> State() const { return owned_.Get(); }

 private:
  // toHost() -> Promise<{data, shape}>
  Napi::Value ToHostJs(const Napi::CallbackInfo& info) {
    auto state = owned_.Get();
    return Schedule(info.Env(), [state]() -> Finisher {
      auto host = HostCopy(state->tensor);
      return [host](Napi::Env env) -> Napi::Value { return TensorToJs(env, host); };
    });
  }
  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    owned_.Dispose();
    return info.Env().Undefined();
  }
  Napi::Value ShapeJs(const Napi::CallbackInfo& info) {
    auto out = Napi::Array::New(info.Env(), shape_.size());
    for (size_t i = 0; i < shape_.size(); ++i)
      out.Set(i, Napi::Number::New(info.Env(), static_cast<double>(shape_[i])));
    return out;
  }
  Napi::Value DeviceJs(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }
  Napi::Value DisposedJs(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), owned_.Disposed()); }

  Owned<DeviceTensorState> owned_;
  std::vector<int64_t> shape_;
  std::string device_;
};

// toDevice(tensor, device) -> Promise<DeviceTensor>. Any float32 values (NaN
// included: the loss path checks them when the tensor is used), 4 dimensions.
Napi::Value ToDeviceJs(const Napi::CallbackInfo& info) {
  auto device = ParseDevice(StringFromJs(info[1], "device"));
  auto host = FloatTensorFromJs(info[0], "tensor", 4, device.is_cuda());
  return Schedule(info.Env(), [host, device]() -> Finisher {
    // From pinned memory, asynchronously: later work runs on the same stream, after it.
    auto t = host.to(device, /*non_blocking=*/true);
    return [t](Napi::Env env) -> Napi::Value { return NewDeviceTensor(env, t); };
  });
}

}  // namespace

Napi::Object NewDeviceTensor(Napi::Env env, torch::Tensor tensor) {
  return NewWrapped(env, "DeviceTensor", std::make_shared<DeviceTensorState>(std::move(tensor)));
}

ImageArg::ImageArg(const Napi::Value& value, const std::string& what, torch::Device device)
    : what_(what), device_(device) {
  if (value.IsObject() && IsInstanceOf(value.Env(), "DeviceTensor", value.As<Napi::Object>())) {
    held_ = Napi::ObjectWrap<DeviceTensorWrap>::Unwrap(value.As<Napi::Object>())->State();
    auto on = held_->tensor.device();
    Require(on == device,
            what + " is a DeviceTensor on " + on.str() + ", but the network runs on " + device.str() +
                ": make it with toDevice(tensor, '" + device.str() + "') (or load the network on " + on.str() + ")",
            Code::Device);
  } else {
    host_ = FloatTensorFromJs(value, what, 4, device.is_cuda());
  }
  CheckImageShape(held_ ? held_->tensor : host_, what);
}

c10::IntArrayRef ImageArg::sizes() const { return held_ ? held_->tensor.sizes() : host_.sizes(); }

torch::Tensor ImageArg::OnDevice() const {
  if (held_) {
    if (!held_->finite) RequireFinite(held_->tensor, what_);
    held_->finite = true;
    return held_->tensor;
  }
  RequireFinite(host_, what_);
  return host_.to(device_, /*non_blocking=*/true);
}

void InitDeviceTensor(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, exports, "DeviceTensor", DeviceTensorWrap::Define(env));
  exports.Set("toDevice", Napi::Function::New(env, ToDeviceJs));
}

}  // namespace dpl
