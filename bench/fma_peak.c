/* This machine's single-core fp32 FMA peak, measured: independent FMA
 * chains on the widest vectors the compiler targets (-march=native), enough
 * of them to hide the FMA latency. Prints GFLOP/s (2 flops per lane). */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif
#define CHAINS 12

typedef float vec __attribute__((vector_size(LANES * 4)));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  vec acc[CHAINS], x, y;
  for (int l = 0; l < LANES; ++l) {
    x[l] = 0.999999f;
    y[l] = 1e-7f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = x * (float)c;
  const long iterations = 100000000L;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double start = now();
    for (long i = 0; i < iterations; ++i) {
      for (int c = 0; c < CHAINS; ++c)
        acc[c] = acc[c] * x + y;
      __asm__ volatile("" : "+x"(acc[0]));
    }
    double seconds = now() - start;
    double gflops = 2.0 * LANES * CHAINS * iterations / seconds * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  float sink = 0;
  for (int c = 0; c < CHAINS; ++c)
    sink += acc[c][0];
  printf("{\"lanes\": %d, \"gflops\": %.1f, \"sink\": %g}\n", LANES, best, sink);
  return 0;
}
