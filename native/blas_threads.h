// OpenBLAS's own thread pool, kept at one thread beside LibTorch's intra-op threads.
//
// Debian's LibTorch calls OpenBLAS (pthreads build) for GEMM-based ops: 1x1 NCHW
// convolutions, linear layers. OpenBLAS sizes its pool from the core count and
// ignores at::set_num_threads, and its idle workers spin before they sleep. On a
// 2-core machine with one intra-op thread that spinning worker took a whole second
// core during resnet50 steps without making them faster; with two intra-op threads,
// LibTorch splits those GEMMs over its own threads and OpenBLAS workers beside them
// oversubscribe the cores (threads.cpp BlasFor has the figures).
#pragma once

namespace dpl {

// Sets OpenBLAS's thread count if OpenBLAS is loaded and the count differs; otherwise
// does nothing.
void SetBlasThreads(int n);
// OpenBLAS's thread count, or 0 when the BLAS in use is not OpenBLAS.
int BlasThreads();

}  // namespace dpl
