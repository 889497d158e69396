#include "threads.h"

#include <ATen/Parallel.h>
#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "blas_threads.h"
#include "executor.h"

namespace dpl {
namespace {

std::mutex mutex;
std::condition_variable recorded;
bool ready = false;
ThreadSettings snapshot;
std::string source = "cores";

// On the worker: what it now runs with.
void Record() {
  ThreadSettings now{at::get_num_threads(), BlasThreads(), at::get_parallel_info(), source};
  {
    std::lock_guard<std::mutex> lock(mutex);
    snapshot = now;
    ready = true;
  }
  recorded.notify_all();
}

// A positive integer from the environment, or 0 when unset, empty or not one.
int EnvCount(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return *end == '\0' && n > 0 && n <= (1 << 16) ? static_cast<int>(n) : 0;
}

// The cores this process may run on (taskset/cgroup cpusets narrow it), else the machine's.
int Cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1u, std::thread::hardware_concurrency());
}

// OpenBLAS's count for an intra-op count of n: one. With one intra-op thread a second
// OpenBLAS worker only spun beside the GEMM (resnet50: twice the CPU, same wall time);
// with two, LibTorch already splits the 1x1 convolutions' GEMMs over its own threads,
// and OpenBLAS workers beside them oversubscribe the cores: the plain path's steps took
// 1.5-2.4x longer with OpenBLAS at 2 (densenet121, googlenet, efficientnet_b0), the fast
// path's moved within the noise (bench/README.md "Threads", results/cpu-blas-threads2.txt).
int BlasFor(int) { return 1; }

}  // namespace

void InitWorkerThreads() {
  // PyTorch 1.13 defaults to half the logical cores on x86-64 (it assumes 2-way SMT),
  // which is one thread on a 2-vCPU machine. A user waits for wall-clock time, so the
  // default is every core this process may use, unless the user chose: DPL_TORCH_THREADS,
  // or OMP_NUM_THREADS / MKL_NUM_THREADS, which LibTorch itself reads.
  if (int n = EnvCount("DPL_TORCH_THREADS")) {
    source = "DPL_TORCH_THREADS";
    if (at::get_num_threads() != n) at::set_num_threads(n);
  } else if (EnvCount("OMP_NUM_THREADS") || EnvCount("MKL_NUM_THREADS")) {
    source = EnvCount("OMP_NUM_THREADS") ? "OMP_NUM_THREADS" : "MKL_NUM_THREADS";
  } else {
    source = "cores";
    int n = Cores();
    if (at::get_num_threads() != n) at::set_num_threads(n);
  }
  SetBlasThreads(BlasFor(at::get_num_threads()));
  Record();
}

void SetWorkerThreads(int n) {
  if (at::get_num_threads() != n) at::set_num_threads(n);
  source = "setThreads";
  SetBlasThreads(BlasFor(n));
  Record();
}

void SetWorkerBlasThreads(int n) {
  SetBlasThreads(n);
  Record();
}

ThreadSettings WorkerThreadSettings() {
  StartWorker();
  std::unique_lock<std::mutex> lock(mutex);
  recorded.wait(lock, [] { return ready; });
  return snapshot;
}

}  // namespace dpl
