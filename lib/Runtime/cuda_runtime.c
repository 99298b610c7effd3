/* cuda_runtime.c - the CUDA side of a model library built for a cuda-*
 * target. moe-compile pastes it into the library's generated wrapper, after
 * moe_model.h and the C library headers, so every library carries its own
 * copy (all hidden) and needs nothing of CUDA at link time.
 *
 * The driver is reached through dlopen("libcuda.so.1"): a library built on
 * a machine without a GPU, or loaded on one, loads fine and moe_model_run
 * says why it cannot run. The compiled host code calls:
 *  - mgpu* (MLIR's gpu-to-llvm lowering): module loading, kernel launches,
 *    streams. Modules are loaded lazily, per device, at the first launch.
 *  - _mlir_memref_to_llvm_alloc/free: every buffer is device memory,
 *    stream-ordered where the driver has cuMemAllocAsync.
 *  - moe_cuda_copy: the few scalars host code reads or writes.
 *  - moe_cuda_global: the device copy of a constant, uploaded once.
 * Every call in a run goes to one stream (the caller's, or the legacy
 * default stream), so kernels, copies and frees stay in order without
 * host synchronisation; a run synchronises once, at its end. The first
 * driver error of a run is kept and returned by moe_model_run; work after
 * it is skipped. */

#include <dlfcn.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

#define MOE_CUDA_MAX_DEVICES 64

static struct {
  CUresult (*init)(unsigned);
  CUresult (*device_count)(int *);
  CUresult (*device_get)(CUdevice *, int);
  CUresult (*primary_retain)(CUcontext *, CUdevice);
  CUresult (*ctx_set_current)(CUcontext);
  CUresult (*mem_alloc)(CUdeviceptr *, size_t);
  CUresult (*mem_free)(CUdeviceptr);
  CUresult (*mem_alloc_async)(CUdeviceptr *, size_t, CUstream);
  CUresult (*mem_free_async)(CUdeviceptr, CUstream);
  CUresult (*memcpy_async)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*memcpy_htod)(CUdeviceptr, const void *, size_t);
  CUresult (*module_load_data)(CUmodule *, const void *);
  CUresult (*module_get_function)(CUfunction *, CUmodule, const char *);
  CUresult (*launch)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                     unsigned, unsigned, unsigned, CUstream, void **, void **);
  CUresult (*stream_synchronize)(CUstream);
  CUresult (*error_string)(CUresult, const char **);
  int devices;
  CUcontext contexts[MOE_CUDA_MAX_DEVICES];
  char unavailable[512]; /* why there is no driver or device; "" when there is */
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cu_lock = PTHREAD_MUTEX_INITIALIZER;

/* Per calling thread: the device and stream its runs use, and the first
 * error of the run in progress. */
static __thread int cu_device = -1;
static __thread CUstream cu_stream;
static __thread char cu_error[512];

static void cu_load(void) {
  /* $MOE_CUDA_DRIVER, the loader's path, then where drivers are often
   * mounted outside it (containers). */
  const char *candidates[] = {getenv("MOE_CUDA_DRIVER"), "libcuda.so.1",
                              "/usr/local/nvidia/lib64/libcuda.so.1",
                              "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                              "/usr/local/cuda/compat/libcuda.so.1"};
  void *lib = NULL;
  char first[256] = "";
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0] && !lib; ++i) {
    if (!candidates[i] || !*candidates[i])
      continue;
    lib = dlopen(candidates[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib && !first[0])
      snprintf(first, sizeof first, "%s", dlerror());
  }
  if (!lib) {
    snprintf(cu.unavailable, sizeof cu.unavailable,
             "no CUDA driver on this machine (%s)", first);
    return;
  }
  struct { void **slot; const char *name; int optional; } symbols[] = {
      {(void **)&cu.init, "cuInit", 0},
      {(void **)&cu.device_count, "cuDeviceGetCount", 0},
      {(void **)&cu.device_get, "cuDeviceGet", 0},
      {(void **)&cu.primary_retain, "cuDevicePrimaryCtxRetain", 0},
      {(void **)&cu.ctx_set_current, "cuCtxSetCurrent", 0},
      {(void **)&cu.mem_alloc, "cuMemAlloc_v2", 0},
      {(void **)&cu.mem_free, "cuMemFree_v2", 0},
      {(void **)&cu.mem_alloc_async, "cuMemAllocAsync", 1},
      {(void **)&cu.mem_free_async, "cuMemFreeAsync", 1},
      {(void **)&cu.memcpy_async, "cuMemcpyAsync", 0},
      {(void **)&cu.memcpy_htod, "cuMemcpyHtoD_v2", 0},
      {(void **)&cu.module_load_data, "cuModuleLoadData", 0},
      {(void **)&cu.module_get_function, "cuModuleGetFunction", 0},
      {(void **)&cu.launch, "cuLaunchKernel", 0},
      {(void **)&cu.stream_synchronize, "cuStreamSynchronize", 0},
      {(void **)&cu.error_string, "cuGetErrorString", 0},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i) {
    *symbols[i].slot = dlsym(lib, symbols[i].name);
    if (!*symbols[i].slot && !symbols[i].optional) {
      snprintf(cu.unavailable, sizeof cu.unavailable,
               "the CUDA driver lacks %s (too old?)", symbols[i].name);
      return;
    }
  }
  CUresult status = cu.init(0);
  if (status == 0)
    status = cu.device_count(&cu.devices);
  if (status != 0 || cu.devices <= 0) {
    const char *why = "no error string";
    if (status != 0)
      cu.error_string(status, &why);
    snprintf(cu.unavailable, sizeof cu.unavailable,
             "no CUDA GPU on this machine (%s)",
             status != 0 ? why : "the driver found no device");
    cu.devices = 0;
  }
  if (cu.devices > MOE_CUDA_MAX_DEVICES)
    cu.devices = MOE_CUDA_MAX_DEVICES;
}

/* Keeps the first error of a run. Returns whether `status` is success. */
static int cu_ok(CUresult status, const char *what) {
  if (status == 0)
    return 1;
  if (!cu_error[0]) {
    const char *why = "unknown error";
    if (cu.error_string)
      cu.error_string(status, &why);
    snprintf(cu_error, sizeof cu_error, "%s failed: %s (CUDA error %d)", what, why,
             status);
  }
  return 0;
}

static int cu_default_device(void) {
  const char *env = getenv("MOE_CUDA_DEVICE");
  return env && *env ? atoi(env) : 0;
}

/* Makes the thread's device current; 0 when there is none to use. */
static int cu_enter(void) {
  pthread_once(&cu_once, cu_load);
  if (cu.unavailable[0]) {
    if (!cu_error[0])
      snprintf(cu_error, sizeof cu_error, "%s", cu.unavailable);
    return 0;
  }
  if (cu_device < 0)
    cu_device = cu_default_device();
  if (cu_device >= cu.devices) {
    if (!cu_error[0])
      snprintf(cu_error, sizeof cu_error,
               "CUDA device %d does not exist (this machine has %d)", cu_device,
               cu.devices);
    return 0;
  }
  pthread_mutex_lock(&cu_lock);
  CUresult status = 0;
  if (!cu.contexts[cu_device]) {
    CUdevice device;
    status = cu.device_get(&device, cu_device);
    if (status == 0)
      status = cu.primary_retain(&cu.contexts[cu_device], device);
  }
  pthread_mutex_unlock(&cu_lock);
  return cu_ok(status, "context creation") &&
         cu_ok(cu.ctx_set_current(cu.contexts[cu_device]), "cuCtxSetCurrent");
}

/* ---- what the generated wrapper calls ---- */

static int moe_cuda_begin(char *error, size_t size) {
  cu_error[0] = 0;
  if (cu_enter())
    return MOE_OK;
  if (error && size)
    snprintf(error, size, "%s", cu_error);
  return MOE_ERROR_DEVICE;
}

static int moe_cuda_end(char *error, size_t size) {
  if (!cu_error[0])
    cu_ok(cu.stream_synchronize(cu_stream), "execution");
  if (!cu_error[0])
    return MOE_OK;
  if (error && size)
    snprintf(error, size, "%s", cu_error);
  return MOE_ERROR_DEVICE;
}

__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_alloc(size_t size) {
  CUdeviceptr p = 0;
  if (cu_error[0])
    return NULL;
  size = size ? size : 1;
  if (cu.mem_alloc_async)
    cu_ok(cu.mem_alloc_async(&p, size, cu_stream), "cuMemAllocAsync");
  else
    cu_ok(cu.mem_alloc(&p, size), "cuMemAlloc");
  return (void *)(uintptr_t)p;
}

__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                                               size_t size) {
  /* Device allocations are aligned to 256 bytes or more. */
  return alignment <= 256 ? _mlir_memref_to_llvm_alloc(size) : NULL;
}

__attribute__((visibility("hidden"))) void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  CUdeviceptr p = (CUdeviceptr)(uintptr_t)ptr;
  if (cu.mem_free_async)
    cu_ok(cu.mem_free_async(p, cu_stream), "cuMemFreeAsync");
  else
    cu_ok(cu.mem_free(p), "cuMemFree");
}

/* Host memory for inputs gathered into row-major order and for outputs. */
static void *host_alloc(size_t size) {
  return aligned_alloc(64, (size + 63) / 64 * 64 + 64);
}
static void host_free(void *p) { free(p); }

/* Any direction: the driver tells host from device addresses (unified
 * addressing). Synchronous, since host code reads the value next. */
__attribute__((visibility("hidden"))) void moe_cuda_copy(uintptr_t dst, uintptr_t src,
                                                         uintptr_t bytes) {
  if (cu_error[0])
    return;
  if (cu_ok(cu.memcpy_async(dst, src, bytes, cu_stream), "a scalar copy"))
    cu_ok(cu.stream_synchronize(cu_stream), "a scalar copy");
}

/* The device copies of the weights, by (host address, device): an open
 * addressing table, so that the lookup every host use of a weight makes in
 * every run costs the same however many weights a model has. */
typedef struct {
  const void *host;
  int device;
  CUdeviceptr copy;
} cu_global;
static cu_global *cu_globals;
static size_t cu_global_count, cu_global_room; /* room: 0 or a power of two */

static size_t cu_global_slot(cu_global *table, size_t room, const void *host, int device) {
  size_t i = (((uintptr_t)host >> 4) * 31 + (size_t)device) & (room - 1);
  while (table[i].host && (table[i].host != host || table[i].device != device))
    i = (i + 1) & (room - 1);
  return i;
}

/* Doubles the table (kept at most half full); 0 when out of memory. */
static int cu_globals_grow(void) {
  size_t room = cu_global_room ? 2 * cu_global_room : 64;
  cu_global *table = calloc(room, sizeof *table);
  if (!table)
    return 0;
  for (size_t i = 0; i < cu_global_room; ++i)
    if (cu_globals[i].host)
      table[cu_global_slot(table, room, cu_globals[i].host, cu_globals[i].device)] =
          cu_globals[i];
  free(cu_globals);
  cu_globals = table;
  cu_global_room = room;
  return 1;
}

__attribute__((visibility("hidden"))) void *moe_cuda_global(const void *host, uint64_t bytes) {
  CUdeviceptr found = 0;
  pthread_mutex_lock(&cu_lock);
  if (cu_global_room) {
    cu_global *entry = &cu_globals[cu_global_slot(cu_globals, cu_global_room, host, cu_device)];
    found = entry->host ? entry->copy : 0;
  }
  if (!found && !cu_error[0]) {
    if (2 * (cu_global_count + 1) > cu_global_room && !cu_globals_grow()) {
      snprintf(cu_error, sizeof cu_error, "out of host memory for the weights table");
    } else if (cu_ok(cu.mem_alloc(&found, bytes ? bytes : 1), "cuMemAlloc (weights)") &&
               cu_ok(cu.memcpy_htod(found, host, bytes), "uploading weights")) {
      cu_global *entry =
          &cu_globals[cu_global_slot(cu_globals, cu_global_room, host, cu_device)];
      entry->host = host;
      entry->device = cu_device;
      entry->copy = found;
      ++cu_global_count;
    }
  }
  pthread_mutex_unlock(&cu_lock);
  return (void *)(uintptr_t)found;
}

static void *moe_cuda_upload(const void *host, size_t bytes) {
  void *device = _mlir_memref_to_llvm_alloc(bytes);
  if (device && bytes)
    cu_ok(cu.memcpy_async((CUdeviceptr)(uintptr_t)device, (CUdeviceptr)(uintptr_t)host,
                          bytes, cu_stream),
          "copying an input to the device");
  return device;
}

/* A row-major host copy of the strided device view (data, sizes,
 * strides): the span it covers comes over in one copy and is gathered on
 * the host. NULL on failure. */
static void *moe_cuda_download(const char *data, int rank, const int64_t *sizes,
                               const int64_t *strides, size_t element) {
  if (cu_error[0])
    return NULL;
  int64_t count = 1, span = 1;
  for (int d = 0; d < rank; ++d) {
    count *= sizes[d];
    if (sizes[d] > 0)
      span += (sizes[d] - 1) * strides[d];
  }
  char *out = host_alloc(count > 0 ? (size_t)count * element : 1);
  if (!out || count == 0)
    return out;
  char *staged = out;
  if (span != count && !(staged = host_alloc((size_t)span * element))) {
    host_free(out);
    return NULL;
  }
  if (!cu_ok(cu.memcpy_async((CUdeviceptr)(uintptr_t)staged, (CUdeviceptr)(uintptr_t)data,
                             (size_t)span * element, cu_stream),
             "copying an output to the host") ||
      !cu_ok(cu.stream_synchronize(cu_stream), "execution")) {
    if (staged != out)
      host_free(staged);
    host_free(out);
    return NULL;
  }
  if (staged != out) {
    int64_t index[MOE_MAX_RANK] = {0};
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = 0;
      for (int d = 0; d < rank; ++d)
        at += index[d] * strides[d];
      memcpy(out + (size_t)i * element, staged + (size_t)at * element, element);
      for (int d = rank - 1; d >= 0; --d) {
        if (++index[d] < sizes[d])
          break;
        index[d] = 0;
      }
    }
    host_free(staged);
  }
  return out;
}

/* ---- MLIR's GPU runtime calls (gpu-to-llvm) ---- */

typedef struct {
  const void *image; /* PTX text or a cubin, in the library */
  CUmodule loaded[MOE_CUDA_MAX_DEVICES];
} moe_cuda_module;

__attribute__((visibility("hidden"))) void *mgpuModuleLoad(const void *data, size_t size) {
  (void)size;
  moe_cuda_module *m = calloc(1, sizeof *m);
  if (m)
    m->image = data;
  return m;
}

__attribute__((visibility("hidden"))) void *mgpuModuleLoadJIT(const void *data, int opt) {
  (void)opt;
  return mgpuModuleLoad(data, 0);
}

__attribute__((visibility("hidden"))) void mgpuModuleUnload(void *module) {
  /* Runs when the library is unloaded: the contexts may be gone already,
   * and the driver frees modules with them. */
  free(module);
}

__attribute__((visibility("hidden"))) CUfunction mgpuModuleGetFunction(void *module,
                                                                      const char *name) {
  moe_cuda_module *m = module;
  if (!m || cu_error[0] || cu_device < 0)
    return NULL;
  pthread_mutex_lock(&cu_lock);
  if (!m->loaded[cu_device])
    cu_ok(cu.module_load_data(&m->loaded[cu_device], m->image),
          "loading the kernels (cuModuleLoadData)");
  CUmodule loaded = m->loaded[cu_device];
  pthread_mutex_unlock(&cu_lock);
  CUfunction f = NULL;
  if (loaded)
    cu_ok(cu.module_get_function(&f, loaded, name), "cuModuleGetFunction");
  return f;
}

__attribute__((visibility("hidden"))) void *mgpuStreamCreate(void) { return cu_stream; }
__attribute__((visibility("hidden"))) void mgpuStreamDestroy(void *stream) { (void)stream; }
/* Everything of a run is on one stream, in order; it synchronises at its
 * end (and before any host read). */
__attribute__((visibility("hidden"))) void mgpuStreamSynchronize(void *stream) { (void)stream; }

__attribute__((visibility("hidden"))) void
mgpuLaunchKernel(CUfunction f, intptr_t gx, intptr_t gy, intptr_t gz, intptr_t bx, intptr_t by,
                 intptr_t bz, int32_t smem, void *stream, void **params, void **extra,
                 size_t count) {
  (void)count;
  if (!f || cu_error[0])
    return;
  cu_ok(cu.launch(f, (unsigned)gx, (unsigned)gy, (unsigned)gz, (unsigned)bx, (unsigned)by,
                  (unsigned)bz, (unsigned)smem, (CUstream)stream, params, extra),
        "a kernel launch");
}

/* ---- the C API's device functions ---- */

int moe_model_set_device(int ordinal) {
  pthread_once(&cu_once, cu_load);
  if (cu.unavailable[0])
    return MOE_ERROR_DEVICE;
  if (ordinal < 0 || ordinal >= cu.devices)
    return MOE_ERROR_ARGUMENT;
  cu_device = ordinal;
  return MOE_OK;
}

int moe_model_set_stream(void *stream) {
  cu_stream = (CUstream)stream;
  return MOE_OK;
}

int moe_model_set_threads(int n) {
  (void)n;
  return 1;
}

