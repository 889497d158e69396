// The machine's FP32 peak as the bench measures it: each thread runs independent
// fused multiply-adds on the widest vectors the compiler targets (-march=native:
// 512-bit with AVX-512, else 256-bit), enough chains to hide the FMA latency (two
// FMA ports x 4 cycles) and few enough to stay in registers, for a fixed time. Prints GFLOP/s summed over the threads.
// Usage: peak-flops THREADS SECONDS. Built by bench/peak.ts; not part of the package.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __AVX512F__
enum { LANES = 16, CHAINS = 16 };  // 32 zmm registers
#else
enum { LANES = 8, CHAINS = 10 };  // 16 ymm registers: 10 chains, the multiplier and the addend
#endif
typedef float vec __attribute__((vector_size(LANES * 4)));
enum { INNER = 4096 };

static double seconds_wanted;
static volatile float sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *run(void *out) {
  vec acc[CHAINS], mul, add;
  for (int i = 0; i < LANES; i++) {
    mul[i] = 0.999999f;
    add[i] = 1e-7f;
  }
  for (int c = 0; c < CHAINS; c++) acc[c] = mul * (float)c;
  long rounds = 0;
  double start = now();
  do {
    for (int k = 0; k < INNER; k++) {
      // Unrolled so that the chains live in registers, not on the stack.
#pragma GCC unroll 16
      for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * mul + add;
    }
    rounds++;
  } while (now() - start < seconds_wanted);
  double elapsed = now() - start;
  float s = 0;
  for (int c = 0; c < CHAINS; c++) s += acc[c][0];
  sink = s;  // keeps the loop from being optimised away
  *(double *)out = 2.0 * LANES * CHAINS * INNER * (double)rounds / elapsed;
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  seconds_wanted = argc > 2 ? atof(argv[2]) : 1.0;
  if (threads < 1 || threads > 1024 || seconds_wanted <= 0) {
    fprintf(stderr, "usage: peak-flops THREADS SECONDS\n");
    return 2;
  }
  pthread_t *ids = malloc(sizeof(pthread_t) * threads);
  double *rates = calloc(threads, sizeof(double));
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, run, &rates[t]);
  double total = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(ids[t], NULL);
    total += rates[t];
  }
  printf("%.1f\n", total / 1e9);
  return 0;
}
