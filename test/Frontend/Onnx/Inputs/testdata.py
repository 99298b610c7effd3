"""Writes a model's inputs and reference outputs as ONNX test data:
input_N.pb and output_N.pb (TensorProto) in one folder, as moe-run reads."""
import os

from onnx import numpy_helper


def write_test_data(folder, names_and_inputs, names_and_outputs):
    os.makedirs(folder, exist_ok=True)
    for prefix, items in (("input", names_and_inputs), ("output", names_and_outputs)):
        for i, (name, tensor) in enumerate(items):
            proto = numpy_helper.from_array(tensor.detach().cpu().numpy(), name)
            with open(os.path.join(folder, f"{prefix}_{i}.pb"), "wb") as f:
                f.write(proto.SerializeToString())
