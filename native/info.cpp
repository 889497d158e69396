#include "info.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <string>

#include "blas_threads.h"
#include "errors.h"
#include "executor.h"

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
  bool cuda = torch::cuda::is_available();
  out.Set("cudaAvailable", cuda);
  out.Set("cudaDevices", Napi::Number::New(env, cuda ? torch::cuda::device_count() : 0));
  out.Set("mkldnn", torch::hasMKLDNN());
  out.Set("threads", Napi::Number::New(env, at::get_num_threads()));
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("blasLibraries", LoadedBlas(env));
  out.Set("blasThreads", Napi::Number::New(env, BlasThreads()));
  out.Set("pendingJobs", Napi::Number::New(env, static_cast<double>(PendingJobs())));
  return out;
}

Napi::Value SetThreadsJs(const Napi::CallbackInfo& info) {
  Require(info[0].IsNumber() && info[0].As<Napi::Number>().Int32Value() > 0,
          "threads must be a positive integer");
  int n = info[0].As<Napi::Number>().Int32Value();
  at::set_num_threads(n);
  SetBlasThreads(n);
  // OpenMP thread counts are per OS thread, and the tensor thread reads the global
  // count only before its first parallel work: set it there too. Queued, so every
  // later job runs with it.
  Schedule(info.Env(), [n]() -> Finisher {
    at::set_num_threads(n);
    return [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  });
  return info.Env().Undefined();
}

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  // OpenBLAS follows LibTorch's default intra-op count from the start.
  SetBlasThreads(at::get_num_threads());
  exports.Set("info", Napi::Function::New(env, InfoJs));
  exports.Set("setThreads", Napi::Function::New(env, SetThreadsJs));
}

}  // namespace dpl
