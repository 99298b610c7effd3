//===- NpuModel.h - The model API over an NPU program -----------*- C++ -*-===//
//
// moe-run drives every model through the C API of moe_model.h. A program
// compiled for an NPU target has no library to load: these functions give
// it the same API, each run executing the program in the simulator.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TOOLS_MOE_RUN_NPUMODEL_H
#define MOE_TOOLS_MOE_RUN_NPUMODEL_H

#include "moe/Runtime/moe_model.h"

#include <string>

namespace moe_run {

/// Reads the program; false with `error` when it is not a valid one.
bool loadNpuProgram(const std::string &path, std::string &error);

int npuNumInputs();
int npuNumOutputs();
const moe_signature *npuInput(int i);
const moe_signature *npuOutput(int i);
int npuRun(const moe_tensor *inputs, int numInputs, moe_tensor *outputs,
           int numOutputs, char *error, size_t errorSize);
void npuRelease(moe_tensor *output);
int npuSetThreads(int n);

/// What the simulator measured in the last run, one line.
std::string npuLastRunSummary();
/// The last run's simulated time in milliseconds.
double npuLastRunMilliseconds();

} // namespace moe_run

#endif // MOE_TOOLS_MOE_RUN_NPUMODEL_H
