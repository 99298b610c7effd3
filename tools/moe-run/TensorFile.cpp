//===- TensorFile.cpp - Tensors from .pb (ONNX TensorProto) and .npy files ===//

#include "TensorFile.h"

#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace moe_run;

size_t moe_run::elementSize(int dtype) {
  switch (dtype) {
  case 2: case 3: case 9:
    return 1;
  case 4: case 5: case 10: case 16:
    return 2;
  case 1: case 6: case 12:
    return 4;
  case 7: case 11: case 13:
    return 8;
  default:
    return 0;
  }
}

static bool readFile(const std::string &path, std::string &bytes,
                     std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read '" + path + "'";
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  bytes = buffer.str();
  return true;
}

template <typename Field>
static void narrow(const Field &values, size_t bytes, std::vector<char> &out) {
  out.resize(values.size() * bytes);
  for (int i = 0; i < values.size(); ++i) {
    auto value = values.Get(i);
    std::memcpy(out.data() + i * bytes, &value, bytes); // little-endian low bytes
  }
}

static bool readPb(const std::string &bytes, HostTensor &t, std::string &error) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) {
    error = "not an ONNX TensorProto";
    return false;
  }
  t.name = proto.name();
  t.dtype = proto.data_type();
  size_t es = elementSize(t.dtype);
  if (!es) {
    error = "data type " + std::to_string(t.dtype) + " is not supported";
    return false;
  }
  int64_t count = 1;
  for (int64_t d : proto.dims()) {
    t.shape.push_back(d);
    count *= d;
  }
  if (proto.has_raw_data()) {
    t.data.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else if (t.dtype == 1) {
    narrow(proto.float_data(), 4, t.data);
  } else if (t.dtype == 11) {
    narrow(proto.double_data(), 8, t.data);
  } else if (t.dtype == 7) {
    narrow(proto.int64_data(), 8, t.data);
  } else if (t.dtype == 12 || t.dtype == 13) {
    narrow(proto.uint64_data(), es, t.data);
  } else {
    narrow(proto.int32_data(), es, t.data);
  }
  if (static_cast<int64_t>(t.data.size()) != count * static_cast<int64_t>(es)) {
    error = "holds " + std::to_string(t.data.size()) + " bytes for " +
            std::to_string(count) + " elements";
    return false;
  }
  return true;
}

/// NumPy's format 1.0-3.0: magic, version, header length, a dict header.
static bool readNpy(const std::string &bytes, HostTensor &t, std::string &error) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    error = "not a .npy file";
    return false;
  }
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, start;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                static_cast<unsigned char>(bytes[9]) << 8;
    start = 10;
  } else {
    if (bytes.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | static_cast<unsigned char>(bytes[8 + i]);
    start = 12;
  }
  if (start + headerLen > bytes.size()) {
    error = "truncated .npy header";
    return false;
  }
  std::string header = bytes.substr(start, headerLen);
  auto field = [&](const std::string &key) -> std::string {
    size_t at = header.find("'" + key + "'");
    if (at == std::string::npos)
      return "";
    at = header.find(':', at);
    return at == std::string::npos ? "" : header.substr(at + 1);
  };
  std::string descr = field("descr");
  size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos) {
    error = "no dtype in the .npy header";
    return false;
  }
  std::string type = descr.substr(q1 + 1, q2 - q1 - 1);
  if (!type.empty() && type[0] == '>') {
    error = "big-endian .npy data is not supported";
    return false;
  }
  if (!type.empty() && (type[0] == '<' || type[0] == '|' || type[0] == '='))
    type = type.substr(1);
  static const std::pair<const char *, int> kinds[] = {
      {"f4", 1}, {"u1", 2}, {"i1", 3}, {"u2", 4}, {"i2", 5}, {"i4", 6},
      {"i8", 7}, {"b1", 9}, {"f2", 10}, {"f8", 11}, {"u4", 12}, {"u8", 13}};
  t.dtype = 0;
  for (auto [name, code] : kinds)
    if (type == name)
      t.dtype = code;
  if (!t.dtype) {
    error = "dtype '" + type + "' is not supported";
    return false;
  }
  if (field("fortran_order").find("True") == 0 ||
      field("fortran_order").find(" True") == 0) {
    error = "Fortran-order .npy data is not supported";
    return false;
  }
  std::string shape = field("shape");
  size_t open = shape.find('('), close = shape.find(')');
  if (open == std::string::npos || close == std::string::npos) {
    error = "no shape in the .npy header";
    return false;
  }
  std::stringstream dims(shape.substr(open + 1, close - open - 1));
  std::string item;
  int64_t count = 1;
  while (std::getline(dims, item, ',')) {
    if (item.find_first_not_of(" ") == std::string::npos)
      continue;
    char *end = nullptr;
    long long d = std::strtoll(item.c_str(), &end, 10);
    if (d < 0 || (*end && *end != ' ')) {
      error = "bad shape in the .npy header";
      return false;
    }
    t.shape.push_back(d);
    count *= d;
  }
  size_t bytesNeeded = count * elementSize(t.dtype);
  size_t dataStart = start + headerLen;
  if (bytes.size() - dataStart < bytesNeeded) {
    error = "truncated .npy data";
    return false;
  }
  t.data.assign(bytes.begin() + dataStart, bytes.begin() + dataStart + bytesNeeded);
  return true;
}

bool moe_run::readTensorFile(const std::string &path, HostTensor &tensor,
                             std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error))
    return false;
  bool isNpy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  bool ok = isNpy ? readNpy(bytes, tensor, error) : readPb(bytes, tensor, error);
  if (!ok)
    error = "'" + path + "': " + error;
  return ok;
}

bool moe_run::writeNpyFile(const std::string &path, const HostTensor &t,
                           std::string &error) {
  const char *descr = nullptr;
  switch (t.dtype) {
  case 1: descr = "<f4"; break;
  case 2: descr = "|u1"; break;
  case 3: descr = "|i1"; break;
  case 4: case 16: descr = "<u2"; break;
  case 5: descr = "<i2"; break;
  case 6: descr = "<i4"; break;
  case 7: descr = "<i8"; break;
  case 9: descr = "|b1"; break;
  case 10: descr = "<f2"; break;
  case 11: descr = "<f8"; break;
  case 12: descr = "<u4"; break;
  case 13: descr = "<u8"; break;
  default:
    error = "no .npy type for ONNX dtype " + std::to_string(t.dtype);
    return false;
  }
  std::string shape;
  for (int64_t d : t.shape)
    shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.shape.size() == 1)
    shape.resize(shape.size() - 1);
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // The magic, version and length take 10 bytes; the header ends in '\n'
  // and pads the whole to a multiple of 64.
  size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  out.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {char(header.size() & 0xff), char(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  out.write(t.data.data(), t.data.size());
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}
