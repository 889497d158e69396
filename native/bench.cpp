#include "bench.h"

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <time.h>

#include <chrono>

#include "convert.h"
#include "errors.h"
#include "executor.h"
#include "loss_network.h"
#include "threads.h"

namespace dpl {
namespace {

c10::optional<torch::ScalarType> ParseAmp(const std::string& amp) {
  if (amp == "none") return c10::nullopt;
  if (amp == "bf16") return torch::kBFloat16;
  if (amp == "fp16") return torch::kHalf;
  Fail(Code::Arg, "amp must be 'none', 'bf16' or 'fp16', got '" + amp + "'");
}

// CPU time of the whole process (all threads), as Python's time.process_time():
// on a shared machine it counts the work, not the waiting for a core.
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

Napi::Value BenchLossStepJs(const Napi::CallbackInfo& info) {
  auto net = LossNetFromJs(info[0], "network");
  auto a = FloatTensorFromJs(info[1], "a", 4);
  auto b = FloatTensorFromJs(info[2], "b", 4);
  CheckImageShape(a, "a");
  CheckImageShape(b, "b");
  Require(a.sizes() == b.sizes(), "a and b must have the same shape", Code::Shape);
  auto layers = IntListFromJs(info[3], "layers");
  CheckLayers(layers, net->Size());
  Require(info[4].IsObject(), "options must be an object {steps, amp, threads}");
  auto o = info[4].As<Napi::Object>();
  int64_t steps = o.Get("steps").IsNumber() ? o.Get("steps").As<Napi::Number>().Int64Value() : 1;
  Require(steps >= 1, "steps must be at least 1");
  auto amp = ParseAmp(o.Get("amp").IsString() ? o.Get("amp").As<Napi::String>().Utf8Value() : "none");
  int threads = o.Get("threads").IsNumber() ? o.Get("threads").As<Napi::Number>().Int32Value() : 0;
  return Schedule(info.Env(), [net, a, b, layers, steps, amp, threads]() -> Finisher {
    RequireFinite(a, "a");
    RequireFinite(b, "b");
    if (threads > 0) SetWorkerThreads(threads);
    auto da = a.to(net->device), db = b.to(net->device);
    std::vector<double> seconds, cpu;
    LossAndGrad r;
    for (int64_t s = 0; s < steps; ++s) {
      auto t0 = std::chrono::steady_clock::now();
      double c0 = ProcessCpuSeconds();
      r = PerceptualLoss(*net, da, db, layers, /*l1=*/false, /*want_grad=*/true, amp);
      r.loss.item<double>();  // waits for the device, as Python's float(loss) does
      cpu.push_back(ProcessCpuSeconds() - c0);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    double loss = r.loss.item<double>();
    auto grad = HostCopy(r.grad);
    int used = at::get_num_threads();
    return [seconds, cpu, loss, grad, used](Napi::Env env) -> Napi::Value {
      auto out = Napi::Object::New(env);
      auto arr = Napi::Array::New(env, seconds.size());
      auto carr = Napi::Array::New(env, cpu.size());
      for (size_t i = 0; i < seconds.size(); ++i) arr.Set(i, seconds[i]);
      for (size_t i = 0; i < cpu.size(); ++i) carr.Set(i, cpu[i]);
      out.Set("seconds", arr);
      out.Set("cpu", carr);
      out.Set("loss", loss);
      out.Set("grad", TensorToJs(env, grad));
      out.Set("threads", used);
      return out;
    };
  });
}

// benchSetTf32(on): whether CUDA fp32 convolutions and matmuls may use TF32 (as
// torch.backends.cudnn.allow_tf32 / torch.backends.cuda.matmul.allow_tf32).
Napi::Value BenchSetTf32Js(const Napi::CallbackInfo& info) {
  Require(info[0].IsBoolean(), "benchSetTf32 takes true or false");
  bool on = info[0].As<Napi::Boolean>().Value();
  return Schedule(info.Env(), [on]() -> Finisher {
    at::globalContext().setAllowTF32CuDNN(on);
    at::globalContext().setAllowTF32CuBLAS(on);
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
}

// benchSetBlasThreads(n): OpenBLAS's count alone, on the worker (what its second
// worker costs or gives beside LibTorch's intra-op threads; the next setThreads or
// benchLossStep with threads resets it to the intra-op count).
Napi::Value BenchSetBlasThreadsJs(const Napi::CallbackInfo& info) {
  Require(info[0].IsNumber() && info[0].As<Napi::Number>().Int32Value() >= 1,
          "benchSetBlasThreads takes a positive integer");
  int n = info[0].As<Napi::Number>().Int32Value();
  return Schedule(info.Env(), [n]() -> Finisher {
    SetWorkerBlasThreads(n);
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
}

}  // namespace

void InitBench(Napi::Env env, Napi::Object internal) {
  internal.Set("benchLossStep", Napi::Function::New(env, BenchLossStepJs));
  internal.Set("benchSetTf32", Napi::Function::New(env, BenchSetTf32Js));
  internal.Set("benchSetBlasThreads", Napi::Function::New(env, BenchSetBlasThreadsJs));
}

}  // namespace dpl
