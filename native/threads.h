// Thread counts of tensor work: LibTorch's intra-op count and OpenBLAS's pool
// (blas_threads.h), kept at one beside it. Both are set on the tensor worker only: OpenMP
// counts are per OS thread (only the worker's matter), and OpenBLAS's pool must not
// be resized from another thread while the worker is inside a GEMM. Other threads
// read the snapshot the worker records.
#pragma once
#include <string>

namespace dpl {

struct ThreadSettings {
  int threads = 0;       // the worker's intra-op count
  int blas = 0;          // OpenBLAS's count, 0 when the BLAS is not OpenBLAS
  std::string parallel;  // at::get_parallel_info() on the worker
  // What chose `threads`: "cores" (the default: every core this process may use),
  // "DPL_TORCH_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS" or "setThreads".
  std::string source;
};

// On the worker, before its first job: the intra-op count to the cores this process may
// use, unless DPL_TORCH_THREADS (that count) or OMP_NUM_THREADS / MKL_NUM_THREADS
// (LibTorch's own reading of them) chose; OpenBLAS at one thread.
void InitWorkerThreads();
// On the worker: the intra-op count to n, OpenBLAS to one (only where they change: setting rebuilds pools).
void SetWorkerThreads(int n);
// On the worker: OpenBLAS's count alone (the bench measures what its workers give).
void SetWorkerBlasThreads(int n);
// From any thread: the worker's settings (starts the worker and waits for its
// InitWorkerThreads the first time).
ThreadSettings WorkerThreadSettings();

}  // namespace dpl
