//===- CWrapper.cpp - The C API of a compiled model, as C source ----------===//
//
// The entry function takes and returns MLIR memref descriptors; the wrapper
// is the C side of moe_model.h: signature tables, argument checks that
// answer with an error code instead of a crash, copies of strided inputs,
// and outputs handed over with the buffer to free.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include "ModelHeader.inc"

using namespace mlir;
using namespace mlir::moe;

/// `s` as a C string literal; other bytes than printable ASCII as three-digit
/// octal escapes, which no following character can extend.
static void printString(raw_ostream &os, StringRef s) {
  os << '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c >= 0x20 && c < 0x7f && c != '?')
      os << c;
    else
      os << '\\' << char('0' + (c >> 6)) << char('0' + ((c >> 3) & 7)) << char('0' + (c & 7));
  }
  os << '"';
}

/// Static tables: shapes, dim names and the moe_signature array `table`.
static void printSignatures(raw_ostream &os, StringRef table,
                            ArrayRef<TensorSignature> sigs) {
  for (auto [i, sig] : llvm::enumerate(sigs)) {
    os << "static const int64_t " << table << "_shape" << i << "[] = {";
    llvm::interleaveComma(sig.shape, os);
    os << (sig.shape.empty() ? "0" : "") << "};\n";
    os << "static const char *const " << table << "_dims" << i << "[] = {";
    llvm::interleaveComma(sig.dimNames, os, [&](const std::string &n) { printString(os, n); });
    os << (sig.dimNames.empty() ? "\"\"" : "") << "};\n";
  }
  os << "static const moe_signature " << table << "[] = {\n";
  for (auto [i, sig] : llvm::enumerate(sigs)) {
    os << "  {";
    printString(os, sig.name);
    os << ", " << sig.onnxType << ", " << sig.shape.size() << ", " << table
       << "_shape" << i << ", " << table << "_dims" << i << "},\n";
  }
  os << "};\n";
}

/// Opens the block that fills output `i` from result `r.r<i>`: the tensor
/// cleared, its dtype, rank and shape set; the caller sets the rest and
/// closes the block.
static void printOutputHead(raw_ostream &os, size_t i, const TensorSignature &sig) {
  size_t rank = sig.shape.size();
  os << "    {\n"
     << "      moe_tensor *o = &outputs[" << i << "];\n"
     << "      memset(o, 0, sizeof(*o));\n"
     << "      o->dtype = " << sig.onnxType << ";\n"
     << "      o->rank = " << rank << ";\n";
  for (size_t d = 0; d < rank; ++d)
    os << "      o->shape[" << d << "] = r.r" << i << ".sizes[" << d << "];\n";
}

static void printDescriptorType(raw_ostream &os, size_t rank) {
  os << "typedef struct { void *allocated; void *aligned; int64_t offset;";
  if (rank)
    os << " int64_t sizes[" << rank << "]; int64_t strides[" << rank << "];";
  os << " } memref" << rank << ";\n";
}

// The host memory of a CPU model: its buffers and its C API's copies.
static const char kHostRuntime[] = R"moec(
/* The model's buffers: the generated code allocates through these
 * (finalize-memref-to-llvm's generic functions), and so do outputs and
 * input copies. Freed blocks of 64 KiB or more are kept, up to KEPT of
 * them, for the next call instead of going back to the system: glibc
 * returns big blocks to the kernel, and the next call faulted every page
 * of them in again (a quarter of an MoE block's time). Each library has
 * its own (hidden) allocator, so libraries never free each other's blocks. */
#define HEADER 64
#define KEEP_FROM ((size_t)64 * 1024)
#define KEPT 64
static char *kept[KEPT];
static int kept_count;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t block_size(char *p) { return ((size_t *)p)[-1]; }

__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_alloc(size_t size) {
  if (size + HEADER >= KEEP_FROM) {
    /* The smallest kept block that fits without wasting half of it. */
    pthread_mutex_lock(&kept_lock);
    int best = -1;
    for (int i = 0; i < kept_count; ++i)
      if (block_size(kept[i]) >= size && block_size(kept[i]) / 2 <= size &&
          (best < 0 || block_size(kept[i]) < block_size(kept[best])))
        best = i;
    char *reused = NULL;
    if (best >= 0) {
      reused = kept[best];
      kept[best] = kept[--kept_count];
    }
    pthread_mutex_unlock(&kept_lock);
    if (reused)
      return reused;
  }
  char *base = aligned_alloc(HEADER, (size + HEADER + HEADER - 1) / HEADER * HEADER);
  if (!base)
    return NULL;
  ((size_t *)(base + HEADER))[-1] = size;
  return base + HEADER;
}

__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                                               size_t size) {
  /* Every block is 64-byte aligned; the code asks for no more. */
  return alignment <= HEADER ? _mlir_memref_to_llvm_alloc(size) : NULL;
}

__attribute__((visibility("hidden"))) void _mlir_memref_to_llvm_free(void *ptr) {
  char *p = ptr;
  if (!p)
    return;
  if (block_size(p) + HEADER >= KEEP_FROM) {
    pthread_mutex_lock(&kept_lock);
    int keep = kept_count < KEPT;
    if (keep)
      kept[kept_count++] = p;
    pthread_mutex_unlock(&kept_lock);
    if (keep)
      return;
  }
  free(p - HEADER);
}

#define host_alloc _mlir_memref_to_llvm_alloc
#define host_free _mlir_memref_to_llvm_free

/* The compiled code calls this for copies between non-contiguous
 * buffers (MLIR's runtime has it; a model must not depend on that). */
typedef struct { int64_t rank; void *descriptor; } unranked_memref;
__attribute__((visibility("hidden"))) void
memrefCopy(int64_t element, unranked_memref *src, unranked_memref *dst) {
  int64_t rank = src->rank;
  char **sp = (char **)src->descriptor, **dp = (char **)dst->descriptor;
  int64_t *s = (int64_t *)(sp + 2), *d = (int64_t *)(dp + 2);
  /* s[0] offset, s[1..rank] sizes, s[rank+1..] strides */
  int64_t count = 1;
  for (int64_t k = 0; k < rank; ++k)
    count *= s[1 + k];
  int64_t index[32] = {0};
  if (rank > 32)
    abort();
  for (int64_t i = 0; i < count; ++i) {
    int64_t from = s[0], to = d[0];
    for (int64_t k = 0; k < rank; ++k) {
      from += index[k] * s[1 + rank + k];
      to += index[k] * d[1 + rank + k];
    }
    memcpy(dp[1] + to * element, sp[1] + from * element, (size_t)element);
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++index[k] < s[1 + k])
        break;
      index[k] = 0;
    }
  }
}

/* Weak: only models with parallel loops are linked with the OpenMP
 * runtime. */
extern int omp_get_max_threads(void) __attribute__((weak));
extern void omp_set_num_threads(int) __attribute__((weak));
int moe_model_set_threads(int n) {
  if (!omp_get_max_threads || !omp_set_num_threads)
    return 1;
  if (n >= 1)
    omp_set_num_threads(n);
  return omp_get_max_threads();
}

int moe_model_set_device(int ordinal) {
  return ordinal == 0 ? MOE_OK : MOE_ERROR_ARGUMENT;
}
int moe_model_set_stream(void *stream) {
  return stream ? MOE_ERROR_ARGUMENT : MOE_OK;
}
)moec";

// The parts of the wrapper that depend neither on the model nor on where
// its buffers live.
static const char kWrapperRuntime[] = R"moec(
static size_t element_size(int32_t dtype) {
  switch (dtype) {
  case MOE_UINT8: case MOE_INT8: case MOE_BOOL: return 1;
  case MOE_UINT16: case MOE_INT16: case MOE_FLOAT16: case MOE_BFLOAT16: return 2;
  case MOE_FLOAT: case MOE_INT32: case MOE_UINT32: return 4;
  default: return 8;
  }
}

static int fail(char *error, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *error, size_t size, const char *format, ...) {
  if (error && size) {
    va_list args;
    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
  }
  return MOE_ERROR_ARGUMENT;
}

static int is_row_major(const moe_tensor *t) {
  int64_t expected = 1, all_zero = 1;
  for (int d = 0; d < t->rank; ++d)
    all_zero &= t->strides[d] == 0;
  if (all_zero)
    return 1;
  for (int d = t->rank - 1; d >= 0; --d) {
    if (t->shape[d] != 1 && t->strides[d] != expected)
      return 0;
    expected *= t->shape[d];
  }
  return 1;
}

static int64_t count_of(const moe_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->rank; ++d)
    n *= t->shape[d];
  return n;
}

/* A row-major copy of a tensor. */
static void *gather(const moe_tensor *t) {
  size_t es = element_size(t->dtype);
  int64_t n = count_of(t);
  char *out = host_alloc(n > 0 ? (size_t)n * es : 1);
  if (!out)
    return NULL;
  if (is_row_major(t)) {
    memcpy(out, t->data, (size_t)n * es);
    return out;
  }
  int64_t index[MOE_MAX_RANK] = {0};
  for (int64_t i = 0; i < n; ++i) {
    int64_t at = 0;
    for (int d = 0; d < t->rank; ++d)
      at += index[d] * t->strides[d];
    memcpy(out + (size_t)i * es, (const char *)t->data + at * (int64_t)es, es);
    for (int d = t->rank - 1; d >= 0; --d) {
      if (++index[d] < t->shape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

/* Checks an input against its signature; named dims must agree across
 * inputs (sizes[] keeps the first size seen per name). */
static int check(const moe_signature *sig, const moe_tensor *t, int i,
                 const char *names[], int64_t sizes[], int *num_names,
                 char *error, size_t size) {
  if (t->dtype != sig->dtype)
    return fail(error, size, "input %d '%s': dtype %d, expected %d", i,
                sig->name, t->dtype, sig->dtype);
  if (t->rank != sig->rank)
    return fail(error, size, "input %d '%s': rank %d, expected %d", i,
                sig->name, t->rank, sig->rank);
  for (int d = 0; d < t->rank; ++d) {
    if (t->shape[d] < 0)
      return fail(error, size, "input %d '%s': dim %d is negative", i,
                  sig->name, d);
    if (sig->shape[d] >= 0 && t->shape[d] != sig->shape[d])
      return fail(error, size, "input %d '%s': dim %d is %lld, expected %lld",
                  i, sig->name, d, (long long)t->shape[d],
                  (long long)sig->shape[d]);
    const char *name = sig->dim_names[d];
    if (sig->shape[d] >= 0 || !name[0])
      continue;
    int k = 0;
    while (k < *num_names && strcmp(names[k], name) != 0)
      ++k;
    if (k == *num_names) {
      names[k] = name;
      sizes[k] = t->shape[d];
      ++*num_names;
    } else if (sizes[k] != t->shape[d]) {
      return fail(error, size,
                  "input %d '%s': dim %d ('%s') is %lld, but another input "
                  "gives '%s' = %lld",
                  i, sig->name, d, name, (long long)t->shape[d], name,
                  (long long)sizes[k]);
    }
  }
  if (!t->data && count_of(t) > 0)
    return fail(error, size, "input %d '%s': no data", i, sig->name);
  return MOE_OK;
}

int moe_model_num_inputs(void) { return NUM_INPUTS; }
int moe_model_num_outputs(void) { return NUM_OUTPUTS; }
const moe_signature *moe_model_input(int i) {
  return i >= 0 && i < NUM_INPUTS ? &input_signatures[i] : NULL;
}
const moe_signature *moe_model_output(int i) {
  return i >= 0 && i < NUM_OUTPUTS ? &output_signatures[i] : NULL;
}

void moe_model_release(moe_tensor *output) {
  if (!output)
    return;
  host_free(output->owner);
  memset(output, 0, sizeof(*output));
}
)moec";

/// Maps the weights file named `weights_name`, next to the library, once:
/// on the first run, so that a missing or foreign file is that call's error.
static const char kWeightsRuntime[] = R"moec(
__attribute__((visibility("hidden"))) void *moe_weights_base;
static pthread_once_t weights_once = PTHREAD_ONCE_INIT;
static char weights_error[768];

static void map_weights(void) {
  Dl_info info;
  if (!dladdr((void *)&moe_model_num_inputs, &info) || !info.dli_fname) {
    snprintf(weights_error, sizeof weights_error,
             "cannot tell where the model library was loaded from, to find "
             "its weights file '%s'", weights_name);
    return;
  }
  const char *slash = strrchr(info.dli_fname, '/');
  int dir = slash ? (int)(slash - info.dli_fname + 1) : 0;
  char path[4096];
  if (snprintf(path, sizeof path, "%.*s%s", dir, info.dli_fname, weights_name) >=
      (int)sizeof path) {
    snprintf(weights_error, sizeof weights_error, "the weights file's path is too long");
    return;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(weights_error, sizeof weights_error,
             "cannot open the weights file '%s': %s", path, strerror(errno));
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != 64 + weights_bytes) {
    snprintf(weights_error, sizeof weights_error,
             "the weights file '%s' has %lld bytes, expected %llu", path,
             (long long)st.st_size, (unsigned long long)(64 + weights_bytes));
    close(fd);
    return;
  }
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    snprintf(weights_error, sizeof weights_error,
             "cannot map the weights file '%s': %s", path, strerror(errno));
    return;
  }
  uint64_t id;
  memcpy(&id, (const char *)map + 8, sizeof id);
  if (memcmp(map, "MOEWGT01", 8) != 0 || id != weights_id) {
    munmap(map, (size_t)st.st_size);
    snprintf(weights_error, sizeof weights_error,
             "the weights file '%s' is not the one this library was compiled "
             "with", path);
    return;
  }
  moe_weights_base = (char *)map + 64;
}
)moec";

std::string moe::generateCpuWrapper(const ModelSignature &signature,
                                    const ExternalWeights *weights,
                                    StringRef weightsName,
                                    const WrapperTarget &target) {
  bool device = !target.deviceRuntime.empty();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by moe-compile: the C API of one model. */\n";
  if (weights)
    os << "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <errno.h>\n"
          "#include <fcntl.h>\n#include <pthread.h>\n#include <sys/mman.h>\n"
          "#include <sys/stat.h>\n#include <unistd.h>\n";
  os << "#include <pthread.h>\n#include <stdarg.h>\n#include <stdio.h>\n"
        "#include <stdlib.h>\n#include <string.h>\n"
     << kModelApiHeader << "\n";
  os << "const char *moe_model_target(void) { return ";
  printString(os, target.name);
  os << "; }\n";
  size_t numIn = signature.inputs.size(), numOut = signature.outputs.size();
  os << "#define NUM_INPUTS " << numIn << "\n#define NUM_OUTPUTS " << numOut
     << "\n";
  printSignatures(os, "input_signatures", signature.inputs);
  printSignatures(os, "output_signatures", signature.outputs);
  os << (device ? StringRef(target.deviceRuntime) : StringRef(kHostRuntime))
     << kWrapperRuntime;
  if (weights) {
    os << "\nstatic const char weights_name[] = ";
    printString(os, weightsName);
    os << ";\nstatic const uint64_t weights_id = " << weights->id
       << "ull, weights_bytes = " << weights->payloadBytes << "ull;\n"
       << kWeightsRuntime;
  }

  SmallVector<size_t> ranks;
  for (const TensorSignature &sig : signature.inputs)
    ranks.push_back(sig.shape.size());
  for (const TensorSignature &sig : signature.outputs)
    ranks.push_back(sig.shape.size());
  llvm::sort(ranks);
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  for (size_t rank : ranks)
    printDescriptorType(os, rank);
  os << "typedef struct {";
  for (auto [i, sig] : llvm::enumerate(signature.outputs))
    os << " memref" << sig.shape.size() << " r" << i << ";";
  os << " } results;\n";
  os << "extern void _mlir_ciface_" << kCpuEntryName << "(results *";
  for (const TensorSignature &sig : signature.inputs)
    os << ", memref" << sig.shape.size() << " *";
  os << ");\n\n";

  os << "int moe_model_run(const moe_tensor *inputs, int num_inputs,\n"
        "                  moe_tensor *outputs, int num_outputs,\n"
        "                  char *error, size_t error_size) {\n";
  if (weights)
    os << "  pthread_once(&weights_once, map_weights);\n"
          "  if (!moe_weights_base) {\n"
          "    fail(error, error_size, \"%s\", weights_error);\n"
          "    return MOE_ERROR_WEIGHTS;\n"
          "  }\n";
  os << "  if (num_inputs != NUM_INPUTS || (NUM_INPUTS && !inputs))\n"
        "    return fail(error, error_size, \"expected %d inputs, got %d\", "
        "NUM_INPUTS, num_inputs);\n"
        "  if (num_outputs < NUM_OUTPUTS || !outputs)\n"
        "    return fail(error, error_size, \"expected room for %d outputs, "
        "got %d\", NUM_OUTPUTS, num_outputs);\n"
        "  const char *names[NUM_INPUTS * MOE_MAX_RANK + 1];\n"
        "  int64_t sizes[NUM_INPUTS * MOE_MAX_RANK + 1];\n"
        "  int num_names = 0;\n"
        "  for (int i = 0; i < NUM_INPUTS; ++i) {\n"
        "    int status = check(&input_signatures[i], &inputs[i], i, names, "
        "sizes, &num_names, error, error_size);\n"
        "    if (status != MOE_OK)\n"
        "      return status;\n"
        "  }\n"
        "  void *copies[NUM_INPUTS + 1] = {0};\n"
        "  int status = MOE_OK;\n";
  if (device)
    os << "  int begun = moe_cuda_begin(error, error_size);\n"
          "  if (begun != MOE_OK)\n"
          "    return begun;\n"
          "  void *on_device[NUM_INPUTS + 1] = {0};\n";
  for (auto [i, sig] : llvm::enumerate(signature.inputs)) {
    size_t rank = sig.shape.size();
    os << "  memref" << rank << " in" << i << ";\n"
       << "  {\n"
       << "    const moe_tensor *t = &inputs[" << i << "];\n"
       << "    void *data = t->data;\n"
       << "    if (!is_row_major(t)) {\n"
       << "      data = copies[" << i << "] = gather(t);\n"
       << "      if (!data) status = MOE_ERROR_MEMORY;\n"
       << "    }\n";
    if (device)
      os << "    if (data) {\n"
         << "      data = on_device[" << i << "] = moe_cuda_upload(data, "
         << "(size_t)count_of(t) * element_size(t->dtype));\n"
         << "      if (!data) status = MOE_ERROR_DEVICE;\n"
         << "    }\n";
    os
       << "    in" << i << ".allocated = in" << i << ".aligned = data;\n"
       << "    in" << i << ".offset = 0;\n";
    if (rank) {
      os << "    int64_t stride = 1;\n"
         << "    for (int d = " << rank - 1 << "; d >= 0; --d) {\n"
         << "      in" << i << ".sizes[d] = t->shape[d];\n"
         << "      in" << i << ".strides[d] = stride;\n"
         << "      stride *= t->shape[d];\n"
         << "    }\n";
    }
    os << "  }\n";
  }
  os << "  if (status == MOE_OK) {\n"
        "    results r;\n"
     << "    _mlir_ciface_" << kCpuEntryName << "(&r";
  for (size_t i = 0; i < signature.inputs.size(); ++i)
    os << ", &in" << i;
  os << ");\n";
  if (device) {
    // Each output comes back into host memory of its own; the device
    // buffers (two outputs may share one) and input copies are freed in
    // stream order, and the run ends with the stream's first error.
    for (auto [i, sig] : llvm::enumerate(signature.outputs)) {
      size_t rank = sig.shape.size();
      printOutputHead(os, i, sig);
      os << "      o->data = o->owner = moe_cuda_download((char *)r.r" << i
         << ".aligned + r.r" << i << ".offset * (int64_t)element_size(o->dtype), " << rank
         << ", " << (rank ? "r.r" + std::to_string(i) + ".sizes" : std::string("NULL"))
         << ", " << (rank ? "r.r" + std::to_string(i) + ".strides" : std::string("NULL"))
         << ", element_size(o->dtype));\n"
         << "      if (!o->data) status = MOE_ERROR_DEVICE;\n"
         << "    }\n";
    }
    os << "    void *buffers[NUM_OUTPUTS + 1] = {0};\n";
    for (size_t i = 0; i < signature.outputs.size(); ++i)
      os << "    buffers[" << i << "] = r.r" << i << ".allocated;\n";
    os << "    for (int j = 0; j < NUM_OUTPUTS; ++j) {\n"
          "      int seen = 0;\n"
          "      for (int k = 0; k < j; ++k)\n"
          "        seen |= buffers[k] == buffers[j];\n"
          "      if (!seen)\n"
          "        _mlir_memref_to_llvm_free(buffers[j]);\n"
          "    }\n"
          "  }\n"
          "  for (int i = 0; i < NUM_INPUTS; ++i)\n"
          "    _mlir_memref_to_llvm_free(on_device[i]);\n"
          "  int ended = moe_cuda_end(error, error_size);\n"
          "  if (status == MOE_OK)\n"
          "    status = ended;\n"
          "  else if (status != MOE_ERROR_DEVICE || ended == MOE_OK)\n"
          "    fail(error, error_size, \"%s\", status == MOE_ERROR_MEMORY ? "
          "\"out of host memory\" : \"the device failed\");\n"
          "  for (int i = 0; i < NUM_INPUTS; ++i)\n"
          "    host_free(copies[i]);\n"
          "  if (status != MOE_OK)\n"
          "    for (int j = 0; j < NUM_OUTPUTS; ++j)\n"
          "      moe_model_release(&outputs[j]);\n"
          "  return status;\n"
          "}\n";
    return text;
  }
  for (auto [i, sig] : llvm::enumerate(signature.outputs)) {
    printOutputHead(os, i, sig);
    for (size_t d = 0; d < sig.shape.size(); ++d)
      os << "      o->strides[" << d << "] = r.r" << i << ".strides[" << d << "];\n";
    os << "      o->data = (char *)r.r" << i << ".aligned + r.r" << i
       << ".offset * (int64_t)element_size(o->dtype);\n"
       << "      o->owner = r.r" << i << ".allocated;\n"
       << "      if (is_row_major(o)) memset(o->strides, 0, sizeof(o->strides));\n"
       << "    }\n";
  }
  // One buffer may come back as two outputs: each output gets its own.
  os << "    for (int j = 1; j < NUM_OUTPUTS && status == MOE_OK; ++j)\n"
        "      for (int k = 0; k < j; ++k)\n"
        "        if (outputs[j].owner && outputs[j].owner == outputs[k].owner) {\n"
        "          void *own = gather(&outputs[j]);\n"
        "          if (!own) { status = MOE_ERROR_MEMORY; break; }\n"
        "          outputs[j].data = outputs[j].owner = own;\n"
        "          memset(outputs[j].strides, 0, sizeof(outputs[j].strides));\n"
        "          break;\n"
        "        }\n"
        "  }\n"
        "  for (int i = 0; i < NUM_INPUTS; ++i)\n"
        "    _mlir_memref_to_llvm_free(copies[i]);\n"
        "  return status;\n"
        "}\n";
  return text;
}

std::string moe::generateCpuHeader(const ModelSignature &signature) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by moe-compile. The model's inputs and outputs:\n";
  auto describe = [&](StringRef what, ArrayRef<TensorSignature> sigs) {
    for (auto [i, sig] : llvm::enumerate(sigs)) {
      os << " *   " << what << " " << i << " '" << sig.name << "': dtype "
         << sig.onnxType << ", shape [";
      for (auto [d, dim] : llvm::enumerate(sig.shape)) {
        if (d)
          os << ", ";
        if (dim >= 0)
          os << dim;
        else
          os << (sig.dimNames[d].empty() ? "?" : sig.dimNames[d]);
      }
      os << "]\n";
    }
  };
  describe("input", signature.inputs);
  describe("output", signature.outputs);
  os << " */\n" << kModelApiHeader;
  return text;
}
