/* This machine's memory read bandwidth, measured: T threads each sum their
 * share of a buffer far larger than the caches, the best of several passes.
 * Decode reads every chosen weight once, so its time is bounded below by
 * bytes / this. Prints JSON: {"threads": T, "gbps": G}.
 *
 *   read_bandwidth [THREADS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BYTES (1024L * 1024 * 1024)
#define PASSES 5

static float *buffer;
static long per_thread;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *sum_share(void *arg) {
  const float *p = buffer + (long)arg * per_thread;
  /* Four vectors of independent accumulators, so the adds keep up with
   * the loads (one chain of vector adds would cap it at a vector per add
   * latency). */
  float acc[64] = {0};
  for (long i = 0; i < per_thread; i += 64)
    for (int l = 0; l < 64; ++l)
      acc[l] += p[i + l];
  float total = 0;
  for (int l = 0; l < 64; ++l)
    total += acc[l];
  /* The sum escapes, so the loads stay. */
  *(volatile float *)&acc[0] = total;
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1)
    threads = 1;
  long count = BYTES / sizeof(float);
  per_thread = count / threads / 64 * 64;
  buffer = aligned_alloc(64, BYTES);
  if (!buffer)
    return 1;
  for (long i = 0; i < count; ++i)
    buffer[i] = (float)(i & 1023);
  double best = 0;
  pthread_t ids[256];
  if (threads > 256)
    threads = 256;
  for (int pass = 0; pass < PASSES; ++pass) {
    double start = now();
    for (long t = 0; t < threads; ++t)
      pthread_create(&ids[t], NULL, sum_share, (void *)t);
    for (int t = 0; t < threads; ++t)
      pthread_join(ids[t], NULL);
    double gbps = per_thread * threads * sizeof(float) / (now() - start) * 1e-9;
    if (gbps > best)
      best = gbps;
  }
  printf("{\"threads\": %d, \"gbps\": %.2f}\n", threads, best);
  free(buffer);
  return 0;
}
