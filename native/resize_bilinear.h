// Bilinear resize for the similarity benchmark (from the sim branch's image_ops, split out on merge with sr's image_ops).
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace dpl {

// Bilinear resize of an (N, 3, H, W) float batch to size x size, PyTorch's
// interpolate(mode='bilinear', align_corners=False, antialias=False): the
// similarity benchmark's preprocessing (a no-op for patches already that size).
torch::Tensor ResizeBilinear64(const torch::Tensor& images, int64_t size = 64);

void InitResizeBilinear(Napi::Env env, Napi::Object exports);

}  // namespace dpl
