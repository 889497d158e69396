#include "models/autoencoder.h"

#include "errors.h"

namespace dpl {
namespace nn = torch::nn;

namespace {

// Side after the encoder's four k4 s2 convolutions without padding.
int64_t EncodedSide(int64_t side) {
  for (int i = 0; i < 4; ++i) side = (side - 4) / 2 + 1;
  return side;
}

}  // namespace

std::string AutoencoderSideProblem(int64_t side) {
  if (side < 64 || (side - 64) % 16 != 0) {
    return "the autoencoder's input side must be 64 + 16k (64 for SVHN padded, 96 for STL-10), got " +
           std::to_string(side);
  }
  return "";
}

AutoencoderImpl::AutoencoderImpl(int64_t s, int64_t z) : side(s), code_size(z) {
  auto problem = AutoencoderSideProblem(s);
  Require(problem.empty(), problem);
  Require(z > 0, "the code size must be positive, got " + std::to_string(z));
  const int64_t g = (s - 64) / 16 + 1;
  const int64_t e = EncodedSide(s);

  nn::Sequential enc;
  const int64_t channels[] = {3, 32, 64, 128, 256};
  for (int i = 0; i < 4; ++i) {
    enc->push_back(nn::Conv2d(nn::Conv2dOptions(channels[i], channels[i + 1], 4).stride(2)));
    enc->push_back(nn::BatchNorm2d(channels[i + 1]));
    enc->push_back(nn::ReLU());
  }
  enc->push_back(nn::Flatten());
  enc->push_back(nn::Linear(256 * e * e, z));
  encoder = register_module("encoder", enc);

  nn::Sequential dec;
  dec->push_back(nn::Linear(z, 1024 * g * g));
  dec->push_back(nn::ReLU());
  dec->push_back(nn::Unflatten(nn::UnflattenOptions(1, {1024, g, g})));
  struct Up {
    int64_t in, out, k;
  };
  const Up ups[] = {{1024, 128, 5}, {128, 64, 5}, {64, 32, 6}};
  for (const auto& u : ups) {
    dec->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(u.in, u.out, u.k).stride(2)));
    dec->push_back(nn::BatchNorm2d(u.out));
    dec->push_back(nn::ReLU());
  }
  dec->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(32, 3, 6).stride(2)));
  dec->push_back(nn::Sigmoid());
  decoder = register_module("decoder", dec);
}

torch::Tensor AutoencoderImpl::Encode(const torch::Tensor& x) { return encoder->forward(x); }

torch::Tensor AutoencoderImpl::Decode(const torch::Tensor& z) { return decoder->forward(z); }

}  // namespace dpl
