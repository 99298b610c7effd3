#!/usr/bin/env python3
"""Writes small ONNX models for the importer's lit tests.

    make_model.py NAME OUT.onnx

NAME picks one of the builders below; each is a few nodes that exercise one
thing the importer must get right or reject.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def raw_tensor(name, data_type, dims, raw):
    t = TensorProto()
    t.name, t.data_type = name, data_type
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def model(nodes, inputs, outputs, initializers=(), opset=17, ir=8, extra_opsets=(), value_info=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers), value_info=list(value_info))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="moe-tests")
    m.ir_version = ir
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def add():
    return model([helper.make_node("Add", ["a", "b"], ["c"], name="add0")],
                 [f32("a", [2, 3]), f32("b", [2, 3])], [f32("c", [2, 3])])


def symbolic():
    w = numpy_helper.from_array(np.arange(128, dtype=np.float32).reshape(16, 8), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="proj"),
             helper.make_node("Relu", ["y"], ["z"], name="act")]
    return model(nodes, [f32("x", ["batch", "seq", 16])], [f32("z", ["batch", "seq", 8])], [w])


def unsorted():
    nodes = [helper.make_node("Relu", ["t"], ["y"], name="second"),
             helper.make_node("Neg", ["x"], ["t"], name="first")]
    return model(nodes, [f32("x", [4])], [f32("y", [4])])


def optional_input():
    mx = numpy_helper.from_array(np.array(6.0, dtype=np.float32), "max")
    nodes = [helper.make_node("Clip", ["x", "", "max"], ["y"], name="clip")]
    return model(nodes, [f32("x", [4])], [f32("y", [4])], [mx])


def attrs():
    t = helper.make_tensor("t", TensorProto.INT64, [2], [3, 4])
    node = helper.make_node("CustomAttrs", ["x"], ["y"], name="all_kinds", domain="test.domain",
                            f=0.5, i=-3, s="text", fs=[1.0, 2.0], is_=[1, 2, 3], ss=["a", "b"], t=t)
    # helper cannot name an attribute "is": rename after the fact.
    for a in node.attribute:
        if a.name == "is_":
            a.name = "ints"
    return model([node], [f32("x", [2])], [f32("y", [2])], extra_opsets=[("test.domain", 1)])


def opset23():
    g = numpy_helper.from_array(np.ones(8, dtype=np.float32), "g")
    node = helper.make_node("RMSNormalization", ["x", "g"], ["y"], name="norm", epsilon=1e-6)
    return model([node], [f32("x", ["n", 8])], [], [g], opset=23, ir=10)


def opset23_outputs():
    m = opset23()
    m.graph.output.append(helper.make_tensor_value_info("y", TensorProto.FLOAT, None))
    m.graph.output[0].type.tensor_type.ClearField("shape")
    return m


def contrib_moe():
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((4, 32, 16)).astype(np.float32), "fc1")
    w2 = numpy_helper.from_array(rng.standard_normal((4, 16, 32)).astype(np.float32), "fc2")
    node = helper.make_node("MoE", ["x", "router", "fc1", "", "fc2"], ["y"], name="moe",
                            domain="com.microsoft", k=2, activation_type="relu")
    return model([node], [f32("x", [3, 16]), f32("router", [3, 4])], [f32("y", [3, 16])], [w1, w2],
                 extra_opsets=[("com.microsoft", 1)])


def ort_decoder():
    """An ONNX Runtime GenAI-style decoder layer: contrib norm, packed-QKV
    GroupQueryAttention with rotary and a KV cache, and a 4-bit QMoE."""
    rng = np.random.default_rng(1)
    hidden, heads, kv_heads, head, experts, inter = 32, 4, 2, 8, 4, 16
    qkv_cols = (heads + 2 * kv_heads) * head

    def init(name, array):
        return numpy_helper.from_array(array, name)

    inits = [
        init("gamma", np.ones(hidden, np.float32)),
        init("w_qkv", rng.standard_normal((hidden, qkv_cols)).astype(np.float32)),
        init("w_o", rng.standard_normal((heads * head, hidden)).astype(np.float32)),
        init("w_router", rng.standard_normal((hidden, experts)).astype(np.float32)),
        init("cos", rng.standard_normal((64, head // 2)).astype(np.float32)),
        init("sin", rng.standard_normal((64, head // 2)).astype(np.float32)),
        init("fc1", rng.integers(0, 256, (experts, 2 * inter, hidden // 2), dtype=np.uint8)),
        init("fc1_s", rng.random((experts, 2 * inter)).astype(np.float32)),
        init("fc2", rng.integers(0, 256, (experts, hidden, inter // 2), dtype=np.uint8)),
        init("fc2_s", rng.random((experts, hidden)).astype(np.float32)),
    ]
    ms = "com.microsoft"
    nodes = [
        helper.make_node("SkipSimplifiedLayerNormalization", ["x", "residual", "gamma"],
                         ["normed", "", "", "sum"], name="norm", domain=ms, epsilon=1e-6),
        helper.make_node("MatMul", ["normed", "w_qkv"], ["qkv"], name="qkv_proj"),
        helper.make_node("GroupQueryAttention",
                         ["qkv", "", "", "past_key", "past_value", "seqlens_k", "total_len", "cos", "sin"],
                         ["attn", "present_key", "present_value"], name="attn", domain=ms,
                         num_heads=heads, kv_num_heads=kv_heads, do_rotary=1),
        helper.make_node("MatMul", ["attn", "w_o"], ["o"], name="o_proj"),
        helper.make_node("Add", ["o", "sum"], ["h"], name="residual_add"),
        helper.make_node("Reshape", ["h", "tokens_shape"], ["tokens"], name="flatten"),
        helper.make_node("MatMul", ["tokens", "w_router"], ["logits"], name="router"),
        helper.make_node("QMoE", ["tokens", "logits", "fc1", "fc1_s", "", "fc2", "fc2_s"], ["y"],
                         name="experts", domain=ms, k=2, activation_type="swiglu", swiglu_fusion=1,
                         expert_weight_bits=4, normalize_routing_weights=1),
    ]
    inits.append(init("tokens_shape", np.array([-1, hidden], np.int64)))
    i32 = TensorProto.INT32
    inputs = [f32("x", [1, 4, hidden]), f32("residual", [1, 4, hidden]),
              f32("past_key", [1, kv_heads, "past", head]), f32("past_value", [1, kv_heads, "past", head]),
              helper.make_tensor_value_info("seqlens_k", i32, [1]),
              helper.make_tensor_value_info("total_len", i32, [])]
    outputs = [f32("y", [4, hidden]), f32("present_key", [1, kv_heads, "total", head]),
               f32("present_value", [1, kv_heads, "total", head])]
    return model(nodes, inputs, outputs, inits, extra_opsets=[(ms, 1)])


def external(out):
    data = np.arange(100, dtype=np.float32)
    folder = os.path.dirname(out)
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(b"\0" * 16 + data.tobytes())
    w = raw_tensor("w", TensorProto.FLOAT, [100], b"")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in [("location", "weights.bin"), ("offset", "16"), ("length", str(data.nbytes))]:
        e = w.external_data.add()
        e.key, e.value = k, v
    node = helper.make_node("Add", ["x", "w"], ["y"], name="add_w")
    return model([node], [f32("x", [100])], [f32("y", [100])], [w])


def external_escape(out):
    m = external(out)
    m.graph.initializer[0].external_data[0].value = "../outside.bin"
    return m


def external_absolute(out):
    m = external(out)
    m.graph.initializer[0].external_data[0].value = "/etc/passwd"
    return m


def external_symlink(out):
    # The name is inside the folder but the file it names is not.
    m = external(out)
    link = os.path.join(os.path.dirname(out), "link.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/hostname", link)
    m.graph.initializer[0].external_data[0].value = "link.bin"
    return m


def int4():
    w = raw_tensor("w", 22, [4], b"\x1f\x87")  # nibbles 15,1,7,8 are int4 -1,1,7,-8
    node = helper.make_node("Identity", ["w"], ["y"], name="id")
    return model([node], [], [helper.make_tensor_value_info("y", 22, [4])], [w], opset=21, ir=10)


def int4_cast():
    """An int4 initializer widened by Cast: too big to fold at compile time."""
    w = raw_tensor("w", 22, [4, 64], bytes(range(128)))
    nodes = [helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT, name="widen"),
             helper.make_node("Add", ["x", "wf"], ["y"], name="add")]
    return model(nodes, [f32("x", [4, 64])], [f32("y", [4, 64])], [w], opset=21, ir=10)


def cycle():
    nodes = [helper.make_node("Relu", ["b"], ["a"], name="r1"),
             helper.make_node("Neg", ["a"], ["b"], name="r2"),
             helper.make_node("Identity", ["a"], ["y"], name="out")]
    m = model(nodes, [f32("x", [1])], [f32("y", [1])])
    return m


def missing_input():
    return model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="adder")],
                 [f32("x", [2])], [f32("y", [2])])


def duplicate_output():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="one"),
             helper.make_node("Neg", ["x"], ["y"], name="two")]
    return model(nodes, [f32("x", [2])], [f32("y", [2])])


def string_input():
    x = helper.make_tensor_value_info("s", TensorProto.STRING, [2])
    return model([helper.make_node("Identity", ["s"], ["y"], name="id")], [x],
                 [helper.make_tensor_value_info("y", TensorProto.STRING, [2])])


def float8_initializer():
    w = raw_tensor("w8", 17, [2], b"\x01\x02")
    return model([helper.make_node("Identity", ["w8"], ["y"], name="id")], [], [f32("y", [2])],
                 [w], opset=19, ir=9)


def subgraph():
    then = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [], [f32("t", [1])])
    node = helper.make_node("If", ["c"], ["y"], name="branch", then_branch=then, else_branch=then)
    c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    return model([node], [c, f32("x", [1])], [f32("y", [1])])


def undeclared_domain():
    node = helper.make_node("MoE", ["x"], ["y"], name="moe", domain="com.microsoft")
    return model([node], [f32("x", [2])], [f32("y", [2])])


def sequence_input():
    seq = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, [2])
    return model([helper.make_node("SequenceLength", ["s"], ["y"], name="len")], [seq],
                 [helper.make_tensor_value_info("y", TensorProto.INT64, [])])


def bad_checker():
    # Add takes two inputs: ONNX's checker rejects three.
    return model([helper.make_node("Add", ["x", "x", "x"], ["y"], name="three")],
                 [f32("x", [2])], [f32("y", [2])])


def missing_output():
    return model([helper.make_node("Relu", ["x"], ["y"], name="r")], [f32("x", [2])],
                 [f32("y", [2]), f32("ghost", [2])])


def shape_chain():
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape: ONNX's data
    # propagation gives the Reshape a static result type.
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["d0"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["d0", "axes"], ["d0v"], name="unsq"),
        helper.make_node("Concat", ["d0v", "minus1"], ["newshape"], name="concat", axis=0),
        helper.make_node("Reshape", ["x", "newshape"], ["y"], name="reshape"),
    ]
    inits = [numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
             numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
             numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus1")]
    return model(nodes, [f32("x", [2, 3, 4])], [f32("y", ["a", "b"])], inits)


BUILDERS = {name: fn for name, fn in globals().items()
            if callable(fn) and not name.startswith("_") and name not in ("model", "f32", "main", "raw_tensor")}
NEEDS_PATH = {"external", "external_escape", "external_absolute", "external_symlink"}


def main():
    name, out = sys.argv[1], sys.argv[2]
    if name in ("truncated", "random"):
        data = add().SerializeToString()
        data = data[: len(data) // 2] if name == "truncated" else bytes(np.random.default_rng(1).integers(0, 256, 512, dtype=np.uint8))
        with open(out, "wb") as f:
            f.write(data)
        return
    if name == "no_graph":
        m = onnx.ModelProto()
        m.ir_version = 8
        m.opset_import.add().version = 17
    else:
        builder = BUILDERS[name]
        m = builder(out) if name in NEEDS_PATH else builder()
    with open(out, "wb") as f:
        f.write(m.SerializeToString())


if __name__ == "__main__":
    main()
