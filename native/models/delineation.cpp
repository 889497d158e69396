#include "models/delineation.h"

namespace dpl {
namespace nn = torch::nn;

DownBlockImpl::DownBlockImpl(int64_t in, int64_t out, bool act)
    : activate(act),
      conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(false)))),
      bn(register_module("bn", nn::BatchNorm2d(out))) {}

torch::Tensor DownBlockImpl::forward(const torch::Tensor& x) {
  // Out of place: x may be a skip tensor that a later up block still reads.
  return bn->forward(conv->forward(activate ? torch::leaky_relu(x, 0.2) : x));
}

UpBlockImpl::UpBlockImpl(int64_t in, int64_t out)
    : conv(register_module(
          "conv", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1).bias(false)))),
      bn(register_module("bn", nn::BatchNorm2d(out))) {}

torch::Tensor UpBlockImpl::forward(const torch::Tensor& x) { return bn->forward(conv->forward(torch::relu(x))); }

DelineationUNetImpl::DelineationUNetImpl()
    : down1(register_module("down1", DownBlock(4, 8, /*activate=*/false))),
      down2(register_module("down2", DownBlock(8, 16, true))),
      down3(register_module("down3", DownBlock(16, 32, true))),
      down4(register_module("down4", DownBlock(32, 32, true))),
      up4(register_module("up4", UpBlock(32, 32))),
      up3(register_module("up3", UpBlock(64, 16))),
      up2(register_module("up2", UpBlock(32, 8))),
      up1(register_module("up1", UpBlock(16, 1))) {}

torch::Tensor DelineationUNetImpl::forward(const torch::Tensor& x, SkipProbe* probe) {
  auto d1 = down1->forward(x);
  if (probe) probe->made.push_back(d1.detach().clone());
  auto d2 = down2->forward(d1);
  if (probe) probe->made.push_back(d2.detach().clone());
  auto d3 = down3->forward(d2);
  if (probe) probe->made.push_back(d3.detach().clone());
  auto d4 = down4->forward(d3);
  auto u = up4->forward(d4);
  u = up3->forward(torch::cat({u, d3}, 1));
  u = up2->forward(torch::cat({u, d2}, 1));
  u = up1->forward(torch::cat({u, d1}, 1));  // up1's BatchNorm2d(1) is the spec's final BatchNorm
  if (probe) probe->after = {d1.detach(), d2.detach(), d3.detach()};
  return torch::sigmoid(u);
}

std::vector<torch::Tensor> DelineationUNetImpl::Refine(const torch::Tensor& image, int64_t iterations,
                                                       torch::Tensor prior, SkipProbe* probe) {
  auto y = prior.defined() ? prior : torch::zeros({image.size(0), 1, image.size(2), image.size(3)}, image.options());
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < iterations; ++i) {
    y = forward(torch::cat({image, y}, 1), i == 0 ? probe : nullptr);
    out.push_back(y);
  }
  return out;
}

}  // namespace dpl
