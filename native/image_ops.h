// Image operations whose exact numerics the benchmarks depend on: antialiased
// resize (as PIL), Gaussian blur, BT.601 luma, PSNR and SSIM (as scikit-image).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>

namespace dpl {

enum class ResizeMode { Bilinear, Bicubic };

// [N,C,H,W] float -> [N,C,h,w]; antialiased like PIL (bicubic a = -0.5) when `antialias`.
torch::Tensor ResizeImages(const torch::Tensor& images, int64_t h, int64_t w, ResizeMode mode, bool antialias);

// Separable Gaussian blur of [N,C,H,W] floats: taps at -r..r with r = ceil(4 sigma)
// (scipy's default truncation), reflection padding without edge repeat (torch 'reflect',
// scipy mode 'mirror'), kernel normalised to sum 1.
torch::Tensor GaussianBlur(const torch::Tensor& images, double sigma);

// 8-bit HWC RGB (uint8) -> luma Y = 16 + (65.481 R + 128.553 G + 24.966 B), R,G,B in [0,1]; [H,W] double.
torch::Tensor Luma(const torch::Tensor& rgb8);

// PSNR (peak 255) and SSIM (Gaussian 11x11, sigma 1.5, valid map) on the luma of two
// 8-bit RGB images after shaving `shave` pixels from each border.
double LumaPsnr(const torch::Tensor& a8, const torch::Tensor& b8, int64_t shave);
double LumaSsim(const torch::Tensor& a8, const torch::Tensor& b8, int64_t shave);

// Quantises [0,1] floats to 8 bits as a saved PNG would: round half up, clamp.
torch::Tensor Quantize(const torch::Tensor& images);

void InitImageOps(Napi::Env env, Napi::Object exports);

}  // namespace dpl
