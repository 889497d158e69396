#include "models/super_resolution.h"

#include "errors.h"

namespace dpl {
namespace nn = torch::nn;

namespace {

enum class Act { None, Relu };

// Reflection pad k//2 -> Conv2d(k, stride 1, bias) -> BatchNorm2d -> optional ReLU.
struct ConvBlockImpl : nn::Module {
  ConvBlockImpl(int64_t in, int64_t out, int64_t k, Act act)
      : pad(register_module("pad", nn::ReflectionPad2d(k / 2))),
        conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, k).bias(true)))),
        bn(register_module("bn", nn::BatchNorm2d(out))),
        relu(act == Act::Relu) {}
  torch::Tensor forward(torch::Tensor x) {
    x = bn->forward(conv->forward(pad->forward(x)));
    return relu ? torch::relu(x) : x;
  }
  nn::ReflectionPad2d pad;
  nn::Conv2d conv;
  nn::BatchNorm2d bn;
  bool relu;
};
TORCH_MODULE(ConvBlock);

// ConvBlock(ReLU) -> ConvBlock(no activation), plus the input; no activation after the sum.
struct ResidualImpl : nn::Module {
  explicit ResidualImpl(int64_t c)
      : a(register_module("a", ConvBlock(c, c, 3, Act::Relu))),
        b(register_module("b", ConvBlock(c, c, 3, Act::None))) {}
  torch::Tensor forward(torch::Tensor x) { return b->forward(a->forward(x)) + x; }
  ConvBlock a, b;
};
TORCH_MODULE(Residual);

// Nearest-neighbour upsample x2, then ConvBlock(3x3, ReLU).
struct UpBlockImpl : nn::Module {
  UpBlockImpl(int64_t in, int64_t out) : conv(register_module("conv", ConvBlock(in, out, 3, Act::Relu))) {}
  torch::Tensor forward(torch::Tensor x) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
    return conv->forward(x);
  }
  ConvBlock conv;
};
TORCH_MODULE(UpBlock);

}  // namespace

SrNetImpl::SrNetImpl(int64_t f) : factor(f) {
  Require(f == 4 || f == 8, "the super-resolution factor must be 4 or 8, got " + std::to_string(f));
  nn::Sequential s(ConvBlock(3, 64, 9, Act::Relu));
  for (int i = 0; i < 4; ++i) s->push_back(Residual(64));
  for (int64_t up = 1; up < f; up *= 2) s->push_back(UpBlock(64, 64));
  s->push_back(ConvBlock(64, 3, 9, Act::None));
  body = register_module("body", s);
}

torch::Tensor SrNetImpl::forward(torch::Tensor x) { return (torch::tanh(body->forward(x)) + 1) / 2; }

}  // namespace dpl
