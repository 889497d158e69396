#include "resize_bilinear.h"

#include "convert.h"
#include "errors.h"
#include "executor.h"
#include "loss_network.h"

namespace dpl {

torch::Tensor ResizeBilinear64(const torch::Tensor& images, int64_t size) {
  if (images.size(2) == size && images.size(3) == size) return images;
  namespace F = torch::nn::functional;
  return F::interpolate(images, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{size, size})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
}

namespace {

// resizeBilinear(images [N,3,H,W], size) -> Promise<FloatTensor>
Napi::Value ResizeBilinearJs(const Napi::CallbackInfo& info) {
  auto images = FloatTensorFromJs(info[0], "images", 4);
  CheckImageBatch(images, "images");
  auto size = info[1].ToNumber().Int64Value();
  Require(size >= 1 && size <= 16384, "size must be a positive image side");
  return Schedule(info.Env(), [images, size]() -> Finisher {
    auto out = ResizeBilinear64(images, size).contiguous();
    return [out](Napi::Env env) -> Napi::Value { return TensorToJs(env, out); };
  });
}

}  // namespace

void InitResizeBilinear(Napi::Env env, Napi::Object exports) {
  exports.Set("resizeBilinear", Napi::Function::New(env, ResizeBilinearJs));
}

}  // namespace dpl
