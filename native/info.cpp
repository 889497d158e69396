#include "info.h"

#include <torch/torch.h>

#include <fstream>
#include <set>
#include <string>

#include "device.h"
#include "errors.h"
#include "executor.h"
#include "threads.h"

namespace dpl {
namespace {

// Shared libraries mapped into this process whose names mention BLAS: tells
// whether Debian's libblas.so.3 resolved to OpenBLAS or the slow reference one.
Napi::Array LoadedBlas(Napi::Env env) {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> found;
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    auto base = path.substr(path.rfind('/') + 1);
    if (base.find("blas") != std::string::npos || base.find("mkl") != std::string::npos) found.insert(path);
  }
  auto arr = Napi::Array::New(env, found.size());
  uint32_t i = 0;
  for (const auto& p : found) arr.Set(i++, p);
  return arr;
}

// Runs on the JS thread, so it reads only values fixed for the process (versions,
// CUDA devices: device.h) and the worker's thread snapshot (threads.h).
Napi::Value InfoJs(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("torchVersion", std::string(TORCH_VERSION));
  out.Set("torchDir", std::string(DPL_TORCH_DIR));
#ifdef DPL_WITH_CUDA
  out.Set("builtWithCuda", true);
#else
  out.Set("builtWithCuda", false);
#endif
  int cuda = CudaDeviceCount();
  out.Set("cudaAvailable", cuda > 0);
  out.Set("cudaDevices", Napi::Number::New(env, cuda));
  out.Set("mkldnn", torch::hasMKLDNN());
  auto threads = WorkerThreadSettings();
  out.Set("threads", Napi::Number::New(env, threads.threads));
  out.Set("threadsSource", threads.source);
  out.Set("parallelInfo", threads.parallel);
  out.Set("blasLibraries", LoadedBlas(env));
  out.Set("blasThreads", Napi::Number::New(env, threads.blas));
  out.Set("pendingJobs", Napi::Number::New(env, static_cast<double>(PendingJobs())));
  return out;
}

// setThreads(n) -> Promise<void>: resolves once later jobs run with n threads.
Napi::Value SetThreadsJs(const Napi::CallbackInfo& info) {
  Require(info[0].IsNumber() && info[0].As<Napi::Number>().DoubleValue() >= 1 &&
              info[0].As<Napi::Number>().DoubleValue() <= 1 << 16 &&
              info[0].As<Napi::Number>().DoubleValue() == info[0].As<Napi::Number>().Int32Value(),
          "threads must be a positive integer");
  int n = info[0].As<Napi::Number>().Int32Value();
  // On the tensor thread, between jobs: OpenBLAS's pool is never resized under a GEMM.
  return Schedule(info.Env(), [n]() -> Finisher {
    SetWorkerThreads(n);
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
}

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, InfoJs));
  exports.Set("setThreads", Napi::Function::New(env, SetThreadsJs));
}

}  // namespace dpl
