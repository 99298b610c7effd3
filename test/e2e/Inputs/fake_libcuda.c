/* fake_libcuda.c - a stand-in for libcuda.so.1 that runs no kernel.
 *
 * It checks the host side of a CUDA model library on a machine without a
 * GPU: device memory is host memory, copies are memcpy, and a launch only
 * checks its kernel exists in the module the library loaded (by name, in
 * the PTX) and that its grid and block are legal. At exit it prints what
 * happened: launches, and whether every buffer of the runs was freed.
 * FAKE_CUDA_FAIL=launch makes the third launch fail, as a faulting kernel
 * would. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static long launches, async_allocs, async_frees, weight_allocs, bad_launches;
static int loaded;

__attribute__((destructor)) static void report(void) {
  if (loaded || launches)
    fprintf(stderr, "fake libcuda: %ld launches (%ld rejected), %ld run buffers allocated, "
            "%ld freed, %ld weight uploads\n", launches, bad_launches, async_allocs,
            async_frees, weight_allocs);
}

CUresult cuInit(unsigned flags) { (void)flags; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal == 0 ? 0 : 101; }
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) { (void)d; *ctx = (void *)&launches; return 0; }
CUresult cuCtxSetCurrent(void *ctx) { return ctx ? 0 : 201; }

static CUresult alloc(CUdeviceptr *p, size_t size) {
  void *m = aligned_alloc(256, (size + 255) / 256 * 256);
  *p = (CUdeviceptr)(uintptr_t)m;
  return m ? 0 : 2;
}
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t size) { ++weight_allocs; return alloc(p, size); }
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return 0; }
CUresult cuMemAllocAsync(CUdeviceptr *p, size_t size, void *s) {
  (void)s;
  ++async_allocs;
  return alloc(p, size);
}
CUresult cuMemFreeAsync(CUdeviceptr p, void *s) {
  (void)s;
  ++async_frees;
  free((void *)(uintptr_t)p);
  return 0;
}
CUresult cuMemcpyAsync(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) {
  (void)st;
  memcpy((void *)(uintptr_t)d, (const void *)(uintptr_t)s, n);
  return 0;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) {
  memcpy((void *)(uintptr_t)d, s, n);
  return 0;
}

CUresult cuModuleLoadData(void **module, const void *image) {
  /* PTX text from the NVPTX back end. */
  if (!strstr((const char *)image, ".target sm_"))
    return 200; /* CUDA_ERROR_INVALID_IMAGE */
  ++loaded;
  *module = (void *)image;
  return 0;
}

CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
  char entry[512];
  snprintf(entry, sizeof entry, ".entry %s(", name);
  if (!strstr((const char *)module, entry))
    return 500; /* CUDA_ERROR_NOT_FOUND */
  *f = (void *)name;
  return 0;
}

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned smem, void *stream, void **params,
                        void **extra) {
  (void)f; (void)stream; (void)extra;
  ++launches;
  const char *fail = getenv("FAKE_CUDA_FAIL");
  if (fail && !strcmp(fail, "launch") && launches == 3)
    return 719; /* CUDA_ERROR_LAUNCH_FAILED */
  if (!gx || !gy || !gz || !bx || !by || !bz || (uint64_t)bx * by * bz > 1024 ||
      gy > 65535 || gz > 65535 || smem > 48 * 1024 || !params) {
    ++bad_launches;
    return 1; /* CUDA_ERROR_INVALID_VALUE */
  }
  return 0;
}

CUresult cuStreamSynchronize(void *s) { (void)s; return 0; }

CUresult cuGetErrorString(CUresult status, const char **text) {
  *text = status == 719 ? "unspecified launch failure" : "fake error";
  return 0;
}
