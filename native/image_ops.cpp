#include "image_ops.h"

#include <cmath>

#include "convert.h"
#include "errors.h"
#include "executor.h"

namespace dpl {

torch::Tensor ResizeImages(const torch::Tensor& images, int64_t h, int64_t w, ResizeMode mode, bool antialias) {
  Require(h > 0 && w > 0, "resize size must be positive, got " + std::to_string(h) + "x" + std::to_string(w),
          Code::Shape);
  auto x = images.to(torch::kFloat32).contiguous();
  if (mode == ResizeMode::Bilinear) {
    return antialias ? at::_upsample_bilinear2d_aa(x, {h, w}, false) : at::upsample_bilinear2d(x, {h, w}, false);
  }
  // The antialiased kernel uses a = -0.5 (PIL's); the plain one torch's a = -0.75.
  return antialias ? at::_upsample_bicubic2d_aa(x, {h, w}, false) : at::upsample_bicubic2d(x, {h, w}, false);
}

namespace {

torch::Tensor GaussianKernel1d(double sigma, int64_t radius, torch::ScalarType dtype) {
  auto x = torch::arange(-radius, radius + 1, torch::TensorOptions().dtype(torch::kFloat64));
  auto k = torch::exp(-0.5 * (x / sigma).pow(2));
  return (k / k.sum()).to(dtype);
}

// Convolves every channel of [N,C,H,W] with the separable kernel k (2r+1 taps), no padding.
torch::Tensor SeparableValid(const torch::Tensor& x, const torch::Tensor& k) {
  int64_t c = x.size(1), taps = k.numel();
  auto kh = k.view({1, 1, taps, 1}).expand({c, 1, taps, 1}).contiguous();
  auto kw = k.view({1, 1, 1, taps}).expand({c, 1, 1, taps}).contiguous();
  namespace F = torch::nn::functional;
  auto y = F::conv2d(x, kh, F::Conv2dFuncOptions().groups(c));
  return F::conv2d(y, kw, F::Conv2dFuncOptions().groups(c));
}

torch::Tensor ShavedLuma(const torch::Tensor& rgb8, int64_t shave, const std::string& what) {
  auto y = Luma(rgb8);
  int64_t h = y.size(0), w = y.size(1);
  Require(2 * shave < h && 2 * shave < w,
          what + " (" + std::to_string(h) + "x" + std::to_string(w) + ") is too small to shave " +
              std::to_string(shave) + " pixels per border",
          Code::Shape);
  return y.slice(0, shave, h - shave).slice(1, shave, w - shave);
}

void CheckPair(const torch::Tensor& a8, const torch::Tensor& b8) {
  Require(a8.sizes() == b8.sizes(),
          "a and b must have the same shape, got " + c10::str(a8.sizes()) + " and " + c10::str(b8.sizes()),
          Code::Shape);
}

}  // namespace

torch::Tensor GaussianBlur(const torch::Tensor& images, double sigma) {
  Require(sigma > 0 && std::isfinite(sigma), "sigma must be a positive number");
  auto radius = static_cast<int64_t>(std::ceil(4 * sigma));
  auto x = images.to(torch::kFloat32).contiguous();
  Require(x.size(2) > radius && x.size(3) > radius,
          "images of " + std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)) +
              " are too small for a Gaussian blur of sigma " + std::to_string(sigma) + " (needs more than " +
              std::to_string(radius) + " pixels per side)",
          Code::Shape);
  auto padded = torch::reflection_pad2d(x, {radius, radius, radius, radius});
  return SeparableValid(padded, GaussianKernel1d(sigma, radius, x.scalar_type()));
}

torch::Tensor Luma(const torch::Tensor& rgb8) {
  Require(rgb8.dim() == 3 && rgb8.size(2) == 3,
          "an image must be 8-bit RGB shaped [h, w, 3], got " + c10::str(rgb8.sizes()), Code::Shape);
  auto x = rgb8.to(torch::kFloat64) / 255.0;
  auto w = torch::tensor({65.481, 128.553, 24.966}, torch::TensorOptions().dtype(torch::kFloat64));
  return 16.0 + torch::matmul(x, w);
}

double LumaPsnr(const torch::Tensor& a8, const torch::Tensor& b8, int64_t shave) {
  CheckPair(a8, b8);
  auto ya = ShavedLuma(a8, shave, "a"), yb = ShavedLuma(b8, shave, "b");
  double mse = (ya - yb).pow(2).mean().item<double>();
  return 10.0 * std::log10(255.0 * 255.0 / mse);  // +inf for identical images, as skimage
}

double LumaSsim(const torch::Tensor& a8, const torch::Tensor& b8, int64_t shave) {
  CheckPair(a8, b8);
  auto x = ShavedLuma(a8, shave, "a").unsqueeze(0).unsqueeze(0);
  auto y = ShavedLuma(b8, shave, "b").unsqueeze(0).unsqueeze(0);
  Require(x.size(2) >= 11 && x.size(3) >= 11,
          "SSIM needs at least 11x11 pixels after shaving, got " + std::to_string(x.size(2)) + "x" +
              std::to_string(x.size(3)),
          Code::Shape);
  // skimage filters with mode 'reflect' and then drops 5 pixels per border: exactly the valid map.
  auto k = GaussianKernel1d(1.5, 5, torch::kFloat64);
  auto stats = SeparableValid(torch::cat({x, y, x * x, y * y, x * y}, 1), k);
  auto ux = stats[0][0], uy = stats[0][1];
  auto vx = stats[0][2] - ux * ux, vy = stats[0][3] - uy * uy, vxy = stats[0][4] - ux * uy;  // population
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  auto s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  return s.mean().item<double>();
}

torch::Tensor Quantize(const torch::Tensor& images) {
  return torch::floor(images * 255 + 0.5).clamp(0, 255).to(torch::kUInt8);
}

namespace {

ResizeMode ParseResizeMode(const std::string& name) {
  if (name == "bilinear") return ResizeMode::Bilinear;
  if (name == "bicubic") return ResizeMode::Bicubic;
  Fail(Code::Arg, "unknown resize mode '" + name + "': use 'bilinear' or 'bicubic'");
}

int64_t PositiveInt(const Napi::Value& v, const std::string& what) {
  Require(v.IsNumber(), what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  Require(std::isfinite(d) && d >= 0 && std::floor(d) == d, what + " must be a non-negative integer");
  return static_cast<int64_t>(d);
}

// resizeImages(images, h, w, mode, antialias) -> Promise<FloatTensor>
Napi::Value ResizeJs(const Napi::CallbackInfo& info) {
  auto images = FloatTensorFromJs(info[0], "images", 4);
  int64_t h = PositiveInt(info[1], "height"), w = PositiveInt(info[2], "width");
  Require(h > 0 && w > 0, "resize size must be positive", Code::Shape);
  auto mode = ParseResizeMode(StringFromJs(info[3], "mode"));
  bool antialias = info[4].ToBoolean();
  return Schedule(info.Env(), [=]() -> Finisher {
    RequireFinite(images, "images");
    auto out = ResizeImages(images, h, w, mode, antialias).contiguous();
    return [out](Napi::Env env) -> Napi::Value { return TensorToJs(env, out); };
  });
}

// gaussianBlur(images, sigma) -> Promise<FloatTensor>
Napi::Value BlurJs(const Napi::CallbackInfo& info) {
  auto images = FloatTensorFromJs(info[0], "images", 4);
  Require(info[1].IsNumber(), "sigma must be a number");
  double sigma = info[1].As<Napi::Number>().DoubleValue();
  Require(sigma > 0 && std::isfinite(sigma), "sigma must be a positive number");
  return Schedule(info.Env(), [=]() -> Finisher {
    RequireFinite(images, "images");
    auto out = GaussianBlur(images, sigma).contiguous();
    return [out](Napi::Env env) -> Napi::Value { return TensorToJs(env, out); };
  });
}

// luma(image8) -> Promise<FloatTensor [h, w]>
Napi::Value LumaJs(const Napi::CallbackInfo& info) {
  auto image = ByteTensorFromJs(info[0], "image", 3);
  Require(image.size(2) == 3, "image must be RGB shaped [h, w, 3], got " + c10::str(image.sizes()), Code::Shape);
  return Schedule(info.Env(), [=]() -> Finisher {
    auto y = Luma(image).to(torch::kFloat32);
    return [y](Napi::Env env) -> Napi::Value { return TensorToJs(env, y); };
  });
}

// psnr/ssim(a8, b8, shave) -> Promise<number>
Napi::Value MetricJs(const Napi::CallbackInfo& info, bool ssim) {
  auto a = ByteTensorFromJs(info[0], "a", 3);
  auto b = ByteTensorFromJs(info[1], "b", 3);
  Require(a.size(2) == 3 && b.size(2) == 3, "a and b must be RGB images shaped [h, w, 3]", Code::Shape);
  int64_t shave = PositiveInt(info[2], "shave");
  CheckPair(a, b);
  return Schedule(info.Env(), [=]() -> Finisher {
    double v = ssim ? LumaSsim(a, b, shave) : LumaPsnr(a, b, shave);
    return [v](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, v); };
  });
}

}  // namespace

void InitImageOps(Napi::Env env, Napi::Object exports) {
  exports.Set("resizeImages", Napi::Function::New(env, ResizeJs));
  exports.Set("gaussianBlur", Napi::Function::New(env, BlurJs));
  exports.Set("luma", Napi::Function::New(env, LumaJs));
  exports.Set("psnr", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return MetricJs(i, false); }));
  exports.Set("ssim", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return MetricJs(i, true); }));
}

}  // namespace dpl
