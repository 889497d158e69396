#include "threads.h"

#include <ATen/Parallel.h>

#include <condition_variable>
#include <mutex>

#include "blas_threads.h"
#include "executor.h"

namespace dpl {
namespace {

std::mutex mutex;
std::condition_variable recorded;
bool ready = false;
ThreadSettings snapshot;

// On the worker: what it now runs with.
void Record() {
  ThreadSettings now{at::get_num_threads(), BlasThreads(), at::get_parallel_info()};
  {
    std::lock_guard<std::mutex> lock(mutex);
    snapshot = now;
    ready = true;
  }
  recorded.notify_all();
}

}  // namespace

void InitWorkerThreads() {
  SetBlasThreads(at::get_num_threads());
  Record();
}

void SetWorkerThreads(int n) {
  if (at::get_num_threads() != n) at::set_num_threads(n);
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
