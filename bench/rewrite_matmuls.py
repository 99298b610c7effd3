"""Shared by the bench's ONNX Runtime rewrites (to_matmul_nbits.py,
to_dynamic_quant.py): every MatMul by a 2-d initializer that `accept`s
its shape becomes the nodes `replace` returns, the initializers it adds
included; unused initializers are dropped."""
from onnx import helper, numpy_helper


def rewrite_weight_matmuls(model, accept, replace):
    """`replace(node, weight [K, N] array, add_initializer)` returns the
    node that computes node's output instead."""
    inits = {t.name: t for t in model.graph.initializer}
    nodes = []

    def add(array, name):
        model.graph.initializer.append(numpy_helper.from_array(array, name))

    for node in model.graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2 or not accept(w.dims[0], w.dims[1]):
            nodes.append(node)
            continue
        nodes.append(replace(node, numpy_helper.to_array(w), add))
    used = {i for n in nodes for i in n.input}
    keep = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
