// The road-delineation U-Net (delineation.md, after Mosinska et al. 2018) and
// its iterative refinement: the network sees the image and its own previous
// prediction, K times, with shared weights.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace dpl {

// Pre-activation down block: [LeakyReLU(0.2)] -> Conv2d(k4, s2, p1, no bias) -> BatchNorm.
struct DownBlockImpl : torch::nn::Module {
  DownBlockImpl(int64_t in, int64_t out, bool activate);
  torch::Tensor forward(const torch::Tensor& x);
  bool activate;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(DownBlock);

// Pre-activation up block: ReLU -> ConvTranspose2d(k4, s2, p1, no bias) -> BatchNorm.
struct UpBlockImpl : torch::nn::Module {
  UpBlockImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::ConvTranspose2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(UpBlock);

// What a forward pass did to its skip tensors (tests): a copy of each down
// block's output taken as it was made, and the tensor itself after the pass.
struct SkipProbe {
  std::vector<torch::Tensor> made, after;
};

// 4 -> 8 -> 16 -> 32 -> 32 channels down (each halving the side), then up with
// skip concatenation to 1 channel, and a sigmoid: 64,546 parameters. Sides must
// be multiples of 16. Activations are never in place: a skip tensor is a block's
// output before the next block's activation, and must stay so.
struct DelineationUNetImpl : torch::nn::Module {
  DelineationUNetImpl();
  // [N,4,H,W] (RGB + previous prediction) -> road probability [N,1,H,W].
  torch::Tensor forward(const torch::Tensor& x, SkipProbe* probe = nullptr);
  // The refinement: y0 = prior (zeros when undefined), yi = UNet(cat(image, y(i-1)))
  // for i = 1..K; returns y1..yK, gradients flowing through every iteration.
  std::vector<torch::Tensor> Refine(const torch::Tensor& image, int64_t iterations, torch::Tensor prior = {},
                                    SkipProbe* probe = nullptr);

  DownBlock down1{nullptr}, down2{nullptr}, down3{nullptr}, down4{nullptr};
  UpBlock up4{nullptr}, up3{nullptr}, up2{nullptr}, up1{nullptr};
};
TORCH_MODULE(DelineationUNet);

// The side every input must be a multiple of (four stride-2 levels).
constexpr int64_t kUNetMultiple = 16;

}  // namespace dpl
