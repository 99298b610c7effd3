//===- Graph.cpp - Node order and naming ----------------------------------===//

#include "OnnxProto.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringSet.h"

#include <queue>

using namespace mlir;

std::string onnx_import::describeNode(const ::onnx::NodeProto &node,
                                      int index) {
  std::string domain = node.domain().empty() ? "" : node.domain() + "::";
  std::string name =
      node.name().empty() ? "#" + std::to_string(index) : node.name();
  return "node '" + name + "' (" + domain + node.op_type() + ")";
}

Location onnx_import::nodeLoc(Location file, const ::onnx::NodeProto &node,
                              int index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "#" + std::to_string(index)
                         : node.name();
  return NameLoc::get(StringAttr::get(file.getContext(), name), file);
}

/// Checks that every value is defined once and used after its definition
/// can be arranged; orders by Kahn's algorithm, taking ready nodes in file
/// order.
LogicalResult onnx_import::sortNodes(Location file, ::onnx::GraphProto &graph) {
  int numNodes = graph.node_size();
  llvm::StringSet<> defined;
  for (const ::onnx::ValueInfoProto &input : graph.input())
    defined.insert(input.name());
  for (const ::onnx::TensorProto &tensor : graph.initializer())
    defined.insert(tensor.name());

  auto error = [&](int i) {
    return emitError(nodeLoc(file, graph.node(i), i))
           << describeNode(graph.node(i), i);
  };
  llvm::StringMap<int> producer;
  for (int i = 0; i < numNodes; ++i)
    for (const std::string &output : graph.node(i).output()) {
      if (output.empty())
        continue;
      if (defined.contains(output))
        return error(i) << " redefines '" << output
                        << "', a graph input or initializer";
      auto [it, inserted] = producer.try_emplace(output, i);
      if (!inserted)
        return error(i) << " produces '" << output << "', which "
                        << describeNode(graph.node(it->second), it->second)
                        << " produces too";
    }

  // libonnx's version converter dereferences a null value for an output
  // nothing defines: catch that here.
  for (const ::onnx::ValueInfoProto &output : graph.output())
    if (!defined.contains(output.name()) && !producer.count(output.name()))
      return emitError(file) << "graph output '" << output.name()
                             << "' is produced by no node, input or "
                                "initializer";

  SmallVector<int> pending(numNodes, 0);
  SmallVector<SmallVector<int>> consumers(numNodes);
  for (int i = 0; i < numNodes; ++i)
    for (const std::string &input : graph.node(i).input()) {
      if (input.empty() || defined.contains(input))
        continue;
      auto it = producer.find(input);
      if (it == producer.end())
        return error(i) << ": input '" << input
                        << "' is not a graph input, an initializer or "
                           "another node's output";
      ++pending[i];
      consumers[it->second].push_back(i);
    }

  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < numNodes; ++i)
    if (pending[i] == 0)
      ready.push(i);
  SmallVector<int> order;
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int consumer : consumers[i])
      if (--pending[consumer] == 0)
        ready.push(consumer);
  }
  if (static_cast<int>(order.size()) != numNodes) {
    int stuck = 0;
    while (pending[stuck] == 0)
      ++stuck;
    return error(stuck) << " is on a cycle: the graph is not a DAG";
  }

  bool sorted = llvm::all_of(llvm::enumerate(order), [](auto entry) {
    return static_cast<int>(entry.index()) == entry.value();
  });
  if (sorted)
    return success();
  google::protobuf::RepeatedPtrField<::onnx::NodeProto> nodes;
  for (int i : order)
    *nodes.Add() = graph.node(i);
  graph.mutable_node()->Swap(&nodes);
  return success();
}
