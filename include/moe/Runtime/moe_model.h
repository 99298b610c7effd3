/* moe_model.h - the C API of every model moe-compile builds.
 *
 * A compiled model is a shared library exporting these functions. Tensors
 * are dense, row-major unless strides are given; element types use ONNX's
 * TensorProto codes. Inputs are borrowed for the call; outputs are
 * allocated by the model and released with moe_model_release.
 */
#ifndef MOE_MODEL_H
#define MOE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOE_MAX_RANK 8

/* ONNX TensorProto.DataType codes. */
typedef enum {
  MOE_FLOAT = 1, MOE_UINT8 = 2, MOE_INT8 = 3, MOE_UINT16 = 4, MOE_INT16 = 5,
  MOE_INT32 = 6, MOE_INT64 = 7, MOE_BOOL = 9, MOE_FLOAT16 = 10,
  MOE_DOUBLE = 11, MOE_UINT32 = 12, MOE_UINT64 = 13, MOE_BFLOAT16 = 16
} moe_dtype;

typedef struct {
  int32_t dtype;                  /* a moe_dtype */
  int32_t rank;
  int64_t shape[MOE_MAX_RANK];
  int64_t strides[MOE_MAX_RANK];  /* in elements; all 0: row-major */
  void *data;
  void *owner;                    /* outputs: what moe_model_release frees */
} moe_tensor;

/* What a model takes or gives: shape entries of -1 are dynamic, named by
 * dim_names[i] when the model names them (else ""). */
typedef struct {
  const char *name;
  int32_t dtype;
  int32_t rank;
  const int64_t *shape;
  const char *const *dim_names;
} moe_signature;

/* MOE_ERROR_WEIGHTS: a model compiled with --weights=external cannot map
 * its weights file (missing, or from another compile); the message says
 * which file. MOE_ERROR_DEVICE: a model compiled for a GPU found no driver
 * or device, or the device failed during the run; the message says which. */
enum {
  MOE_OK = 0, MOE_ERROR_ARGUMENT = 1, MOE_ERROR_MEMORY = 2, MOE_ERROR_WEIGHTS = 3,
  MOE_ERROR_DEVICE = 4
};

/* The --target the model was compiled for: "cpu", "cuda-sm90", ... */
const char *moe_model_target(void);

int moe_model_num_inputs(void);
int moe_model_num_outputs(void);
/* NULL when i is out of range. */
const moe_signature *moe_model_input(int i);
const moe_signature *moe_model_output(int i);

/* Runs the model. Checks every input against the signature (dtype, rank,
 * static dims, one size per named dim) and on a mismatch returns
 * MOE_ERROR_ARGUMENT with a message in `error` (when not NULL). On success
 * fills outputs[0 .. num_outputs). */
int moe_model_run(const moe_tensor *inputs, int num_inputs,
                  moe_tensor *outputs, int num_outputs,
                  char *error, size_t error_size);

/* Threads the model's parallel loops use from now on, in calls made from
 * the calling thread: n >= 1 sets it, n <= 0 only asks. Returns the number
 * in effect (by default OMP_NUM_THREADS, else one per core; always 1 for a
 * model without parallel loops, and for a GPU model). */
int moe_model_set_threads(int n);
/* The device this thread's runs use from now on. CUDA models: a GPU
 * ordinal (default: $MOE_CUDA_DEVICE, else 0); MOE_ERROR_ARGUMENT when the
 * machine has no such GPU, MOE_ERROR_DEVICE when it has no driver or GPU at
 * all (moe_model_run says which). CPU models: 0 is the only device. */
int moe_model_set_device(int ordinal);
/* The stream this thread's runs are ordered on. CUDA models: a CUstream
 * (NULL, the default: the legacy default stream); a run still returns only
 * when its work is done and its outputs are in host memory. CPU models:
 * NULL only (MOE_ERROR_ARGUMENT otherwise). */
int moe_model_set_stream(void *stream);
/* Frees an output's data; the tensor is emptied. */
void moe_model_release(moe_tensor *output);

#ifdef __cplusplus
}
#endif

#endif /* MOE_MODEL_H */
