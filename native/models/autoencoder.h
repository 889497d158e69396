// The study's four-layer convolutional autoencoder (spec: autoencoder.md).
// Encoder: four Conv2d(k4, s2, no padding) -> BatchNorm2d -> ReLU blocks with
// channels 3->32->64->128->256, flatten, Linear -> code. Decoder: Linear ->
// ReLU -> reshape (1024, g, g), three ConvTranspose2d -> BatchNorm2d -> ReLU
// blocks (1024->128 k5, 128->64 k5, 64->32 k6), ConvTranspose2d 32->3 k6,
// sigmoid; stride 2, no padding anywhere. For a side H with (H - 64) % 16 == 0:
// g = (H - 64) / 16 + 1 (1 for 64, 3 for 96).
#pragma once
#include <torch/torch.h>

namespace dpl {

struct AutoencoderImpl : torch::nn::Module {
  AutoencoderImpl(int64_t side, int64_t code_size);

  torch::Tensor Encode(const torch::Tensor& x);
  torch::Tensor Decode(const torch::Tensor& z);
  torch::Tensor forward(const torch::Tensor& x) { return Decode(Encode(x)); }

  int64_t side, code_size;
  // Sequentials, so parameter names match a Python nn.Sequential written from
  // the spec ("encoder.0.weight", ..., "decoder.12.bias").
  torch::nn::Sequential encoder{nullptr}, decoder{nullptr};
};
TORCH_MODULE(Autoencoder);

// Why `side` cannot be used, or "" when it can.
std::string AutoencoderSideProblem(int64_t side);

}  // namespace dpl
