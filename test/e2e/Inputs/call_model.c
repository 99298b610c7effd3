/* Calls a compiled model through its header and dlopen, as a user would.
 * The model: y = relu(x @ w), x [batch, seq, 16], w = arange(128) as
 * [16, 8] (test/Frontend/Onnx/Inputs/make_model.py symbolic). */
#include "model.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define GET(name) __typeof__(&name) p_##name = (__typeof__(&name))dlsym(lib, #name)

int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  GET(moe_model_num_inputs); GET(moe_model_num_outputs); GET(moe_model_input);
  GET(moe_model_run); GET(moe_model_release); GET(moe_model_set_threads);
  GET(moe_model_target); GET(moe_model_set_device); GET(moe_model_set_stream);
  printf("target %s\n", p_moe_model_target());
  printf("device 0: %d, device 1: %d, no stream: %d\n", p_moe_model_set_device(0),
         p_moe_model_set_device(1), p_moe_model_set_stream(NULL));
  printf("inputs %d outputs %d\n", p_moe_model_num_inputs(), p_moe_model_num_outputs());
  const moe_signature *sig = p_moe_model_input(0);
  printf("input 0 '%s' dtype %d rank %d shape", sig->name, sig->dtype, sig->rank);
  for (int d = 0; d < sig->rank; ++d)
    sig->shape[d] < 0 ? printf(" ?") : printf(" %lld", (long long)sig->shape[d]);
  printf(" names");
  for (int d = 0; d < sig->rank; ++d)
    if (sig->dim_names[d][0])
      printf(" %s", sig->dim_names[d]);
  printf("\n");

  float x[2 * 3 * 16];
  for (int i = 0; i < 2 * 3 * 16; ++i)
    x[i] = (float)((i % 7) - 3);
  moe_tensor in;
  memset(&in, 0, sizeof(in));
  in.dtype = MOE_INT64;
  in.rank = 3;
  in.shape[0] = 2; in.shape[1] = 3; in.shape[2] = 16;
  in.data = x;
  moe_tensor out;
  char error[256];
  int status = p_moe_model_run(&in, 1, &out, 1, error, sizeof(error));
  printf("wrong dtype: status %d: %s\n", status, error);
  in.dtype = MOE_FLOAT;
  in.shape[2] = 15;
  status = p_moe_model_run(&in, 1, &out, 1, error, sizeof(error));
  printf("wrong dim: status %d: %s\n", status, error);
  in.shape[2] = 16;
  status = p_moe_model_run(&in, 1, &out, 1, error, sizeof(error));
  printf("run: status %d, output rank %d shape %lld %lld %lld\n", status, out.rank,
         (long long)out.shape[0], (long long)out.shape[1], (long long)out.shape[2]);
  int ok = 1;
  const float *y = out.data;
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) {
      float acc = 0;
      for (int k = 0; k < 16; ++k)
        acc += x[r * 16 + k] * (float)(k * 8 + c);
      float want = acc > 0 ? acc : 0;
      if (y[r * 8 + c] != want)
        ok = 0;
    }
  printf("relu(x w) matches: %d\n", ok);
  /* Too small to share: no parallel loops, so one thread whatever is asked. */
  printf("threads: %d\n", p_moe_model_set_threads(4));
  p_moe_model_release(&out);
  return 0;
}
