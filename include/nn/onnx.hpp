// nn/onnx.hpp: networks as ONNX files, out (for ONNX Runtime, TensorRT, OpenVINO, browsers) and in
// (an MLP that torch.onnx.export wrote from an nn.Sequential).
//
// What nn writes (ONNX IR version 8, operator set 13, the default domain only):
//   input  "input"  [batch, inputs] of float or double (batch a dynamic dimension)
//   Sub(input, input_mean) -> Mul(., input_scale)       a Model's scaling, when it has one
//   for each layer l: Gemm(a, layers.{l}.weight [out, in], layers.{l}.bias [out], transB = 1)
//                     then Sigmoid, Tanh, Relu, LeakyRelu (alpha 0.01), Softmax (axis 1), or
//                     nothing for a linear layer
//   output "output" [batch, outputs]
// with the weights as initializers (raw little-endian data, PyTorch's and safetensors's layout)
// and metadata_props "arch", "activations", "loss", "nn_version" and a Model's "classes".
//
// What nn reads: one graph input and one output joined by a chain of nodes, each reading the
// node before it: Gemm (transA = 0, alpha = beta = 1, transB either) or MatMul then an optional
// Add, each with weights stored in the file (initializers or Constant nodes; float, double,
// float16, bfloat16), then at most one of Relu, LeakyRelu (alpha 0.01), Tanh, Sigmoid, Softmax
// (the last axis), with Identity nodes anywhere, and for load_onnx_model a Sub then a Mul in
// front. Anything else is an nn::Error naming the node. The reader checks every length against the
// bytes that hold it, and allocates at most a few times the file's size (see max_nodes).
#pragma once

#include <string>

#include <nn/config.hpp>
#include <nn/model.hpp>
#include <nn/network.hpp>

namespace nn {

/// Writes `net` as an ONNX model (the layout: the top of this header), atomically as nn::save
/// writes (the bytes read back first; the file at `path` as it was if anything fails).
///     nn::export_onnx(net, "iris.onnx");   // python3 -c "import onnxruntime ..." runs it
template <Real T>
void export_onnx(const NN<T>& net, const std::string& path);

/// As above, for a model: its scaling as a Sub and a Mul in front, its class names in the metadata.
template <Real T>
void export_onnx(const Model<T>& model, const std::string& path);

/// Loads a network from an ONNX file: one nn::export_onnx wrote, or an MLP torch.onnx.export wrote
/// from an nn.Sequential of Linear and ReLU / LeakyReLU / Tanh / Sigmoid / Softmax layers (see the
/// top of this header for what is read). nn::Error naming the node for anything else.
///     auto net = nn::load_onnx<float>("mlp.onnx");
template <Real T>
NN<T> load_onnx(const std::string& path);

/// Loads a model from an ONNX file: the network, its input scaling (a Sub then a Mul in front,
/// as nn::export_onnx writes a Model) and its class names (metadata "classes"), when it has them.
template <Real T>
Model<T> load_onnx_model(const std::string& path);

} // namespace nn

#if NN_DETAIL_DEFINITIONS // the writer and reader (compiled once in the compiled mode: see config.hpp)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/file.hpp>
#include <nn/detail/format.hpp>
#include <nn/detail/network_file.hpp>
#include <nn/detail/protobuf.hpp>
#include <nn/detail/safetensors.hpp>
#include <nn/error.hpp>
#include <nn/loss.hpp>

namespace nn {

namespace detail::onnx {

/// Limits far past any dense network's graph (a layer is two to four nodes and two tensors), which
/// keep the reader's memory within a small multiple of the file's size (a node's bytes can be two,
/// its record is a hundred) and its walk along the chain, which looks for each node's successor
/// among all nodes, to a fraction of a second on any file.
inline constexpr std::size_t max_nodes = 16384, max_attributes = 64, max_dims = 16;

/// TensorProto.DataType's values that nn reads or writes.
enum DataType : std::uint64_t { Float = 1, Float16 = 10, Double = 11, BFloat16 = 16 };

template <Real T>
constexpr DataType data_type = sizeof(T) == sizeof(float) ? Float : Double;

inline const char* type_name(std::uint64_t type) {
    switch (type) {
    case Float: return "float";
    case Float16: return "float16";
    case Double: return "double";
    case BFloat16: return "bfloat16";
    }
    return "another type";
}

// ---- writing ----

inline protobuf::Writer value_info(std::string_view name, DataType type, std::size_t width) {
    protobuf::Writer batch, columns, shape, tensor, type_proto, info;
    batch.bytes(2, "batch"); // dim_param: any number of rows
    columns.varint(1, width);
    shape.message(1, batch);
    shape.message(1, columns);
    tensor.varint(1, type);
    tensor.message(2, shape);
    type_proto.message(1, tensor);
    info.bytes(1, name);
    info.message(2, type_proto);
    return info;
}

/// A TensorProto of the given shape whose k-th element (row-major) is at(k).
template <Real T, class At>
protobuf::Writer tensor(std::string_view name, std::initializer_list<std::size_t> dims, const At& at) {
    protobuf::Writer t;
    t.packed_varints(1, dims);
    t.varint(2, data_type<T>);
    t.bytes(8, name);
    std::size_t count = 1;
    for (const std::size_t d : dims) count *= d;
    std::string raw;
    raw.reserve(count * sizeof(T));
    for (std::size_t k = 0; k < count; ++k) {
        const T v = at(k);
        put_le(raw, &v, sizeof v);
    }
    t.bytes(9, raw);
    return t;
}

struct NodeWriter {
    protobuf::Writer node;

    NodeWriter(std::string_view op, std::string_view name, std::initializer_list<std::string_view> inputs,
               std::string_view output) {
        for (const std::string_view in : inputs) node.bytes(1, in);
        node.bytes(2, output);
        node.bytes(3, name);
        node.bytes(4, op);
    }
    NodeWriter& attribute(std::string_view name, std::int64_t i) {
        protobuf::Writer a;
        a.bytes(1, name);
        a.varint(3, static_cast<std::uint64_t>(i));
        a.varint(20, 2); // INT
        node.message(5, a);
        return *this;
    }
    NodeWriter& attribute(std::string_view name, float f) {
        protobuf::Writer a;
        a.bytes(1, name);
        a.fixed32(2, f);
        a.varint(20, 1); // FLOAT
        node.message(5, a);
        return *this;
    }
};

inline const char* op_type(Activation a) {
    switch (a) {
    case Activation::Sigmoid: return "Sigmoid";
    case Activation::Tanh: return "Tanh";
    case Activation::ReLU: return "Relu";
    case Activation::LeakyReLU: return "LeakyRelu";
    case Activation::Softmax: return "Softmax";
    case Activation::Linear: break;
    }
    return nullptr;
}

/// The bytes of an ONNX model of `net`, with `scaling` in front (if given) and `classes` in the
/// metadata (if any).
template <Real T>
std::string to_onnx(const NN<T>& net, const Standardizer<T>* scaling, const std::vector<std::string>& classes) {
    protobuf::Writer graph;
    std::string a = "input";
    const std::size_t in = net.inputs();
    if (scaling) {
        graph.message(5, tensor<T>("input_mean", {in}, [&](std::size_t k) { return scaling->mean()(0, k); }));
        graph.message(5, tensor<T>("input_scale", {in}, [&](std::size_t k) { return scaling->scale()(0, k); }));
        graph.message(1, NodeWriter("Sub", "scaling.sub", {a, "input_mean"}, "scaling.centred").node);
        graph.message(1, NodeWriter("Mul", "scaling.mul", {"scaling.centred", "input_scale"}, "scaled").node);
        a = "scaled";
    }
    bool slope_written = false;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const auto& W = net.weights(l);
        const std::size_t rows = W.rows(), cols = W.cols();
        const std::string prefix = format("layers.%zu.", l);
        const bool last = l + 1 == net.layers();
        const char* op = op_type(net.activation(l));
        const std::string z = last && !op ? "output" : prefix + "z";
        graph.message(5,
                      tensor<T>(prefix + "weight", {cols, rows}, [&](std::size_t k) { return W(k % rows, k / rows); }));
        graph.message(5, tensor<T>(prefix + "bias", {cols}, [&](std::size_t k) { return net.biases(l)(0, k); }));
        graph.message(1, NodeWriter("Gemm", prefix + "gemm", {a, prefix + "weight", prefix + "bias"}, z)
                             .attribute("transB", std::int64_t{1})
                             .node);
        a = z;
        if (!op) continue;
        const std::string out = last ? "output" : prefix + "a";
        const bool prelu = net.activation(l) == Activation::LeakyReLU && data_type<T> == Double;
        if (prelu && !slope_written) {
            graph.message(5, tensor<T>("leaky_relu_slope", {1}, [](std::size_t) { return T(leaky_relu_slope); }));
            slope_written = true;
        }
        const std::string node_name = prefix + name(net.activation(l));
        NodeWriter node =
            prelu ? NodeWriter("PRelu", node_name, {a, "leaky_relu_slope"}, out) : NodeWriter(op, node_name, {a}, out);
        if (net.activation(l) == Activation::LeakyReLU && !prelu) node.attribute("alpha", float(leaky_relu_slope));
        if (net.activation(l) == Activation::Softmax) node.attribute("axis", std::int64_t{1});
        graph.message(1, node.node);
        a = out;
    }
    graph.bytes(2, "nn");
    graph.message(11, value_info("input", data_type<T>, in));
    graph.message(12, value_info("output", data_type<T>, net.outputs()));

    protobuf::Writer model, opset;
    model.varint(1, 8); // IR version 8 (ONNX 1.10 onwards)
    model.bytes(2, "nn");
    model.bytes(3, format("%d.%d.%d", NN_VERSION_MAJOR, NN_VERSION_MINOR, NN_VERSION_PATCH));
    model.message(7, graph);
    opset.bytes(1, "");
    opset.varint(2, 16);
    model.message(8, opset);
    const auto metadata = [&](std::string_view key, std::string_view value) {
        protobuf::Writer entry;
        entry.bytes(1, key);
        entry.bytes(2, value);
        model.message(14, entry);
    };
    metadata("arch", join_arch(net.arch()));
    metadata("activations", join_activations(net.activations()));
    metadata("loss", name(net.loss()));
    metadata("nn_version", format("%d.%d.%d", NN_VERSION_MAJOR, NN_VERSION_MINOR, NN_VERSION_PATCH));
    if (!classes.empty()) metadata("classes", join_classes(classes));
    return model.str();
}

// ---- reading ----

/// A TensorProto as read: its values still in the file's bytes (raw) or, for the float_data and
/// double_data fields, decoded (their count is bounded by the bytes that held them).
struct Tensor {
    std::string_view name;
    std::vector<std::uint64_t> dims;
    std::uint64_t type = 0;
    std::string_view raw;
    std::vector<double> values;
    bool has_values = false, external = false;
};

struct Attribute {
    std::string_view name;
    std::uint64_t type = 0, i = 0;
    float f = 0;
    std::optional<Tensor> t;
};

struct Node {
    std::string_view name, op, domain;
    std::vector<std::string_view> inputs, outputs;
    std::vector<Attribute> attributes;

    const Attribute* find(std::string_view key) const {
        for (const Attribute& a : attributes)
            if (a.name == key) return &a;
        return nullptr;
    }
};

/// A graph input or output: its name, element type and dimensions (nullopt for a named one).
struct ValueInfo {
    std::string_view name;
    std::uint64_t type = 0;
    std::vector<std::optional<std::uint64_t>> dims;
};

struct Graph {
    std::vector<Node> nodes;
    std::vector<Tensor> initializers;
    std::vector<ValueInfo> inputs, outputs;
};

struct ModelFile {
    std::optional<Graph> graph;
    std::vector<std::pair<std::string_view, std::string_view>> metadata;

    const std::string_view* find(std::string_view key) const {
        for (const auto& [k, v] : metadata)
            if (k == key) return &v;
        return nullptr;
    }
};

/// The fixed-size values of a packed (wire type 2) or unpacked repeated field, appended to out.
inline void append_values(const protobuf::Field& f, std::size_t size, std::vector<double>& out, const char* file) {
    const auto decode = [&](std::uint64_t bits) {
        out.push_back(size == 4 ? double(std::bit_cast<float>(std::uint32_t(bits))) : std::bit_cast<double>(bits));
    };
    if (f.wire == protobuf::Bytes) {
        if (f.bytes.size() % size != 0)
            fail("%s: not an ONNX file: a tensor's packed values are %zu bytes, not a multiple of %zu", file,
                 f.bytes.size(), size);
        for (std::size_t at = 0; at < f.bytes.size(); at += size)
            decode(protobuf::little_endian(f.bytes.data() + at, size));
    } else if (f.wire == (size == 4 ? protobuf::Fixed32 : protobuf::Fixed64))
        decode(f.number);
    else
        fail("%s: not an ONNX file: a tensor's values have the wrong wire type", file);
}

inline Tensor read_tensor(std::string_view bytes, const char* file) {
    Tensor t;
    protobuf::Reader r(bytes, file, "a tensor");
    for (protobuf::Field f; r.next(f);) {
        if (f.field == 1 && f.wire == protobuf::Bytes) { // packed dims
            protobuf::Reader dims(f.bytes, file, "a tensor's dimensions");
            for (std::uint64_t d; dims.next_varint(d);) t.dims.push_back(d);
        } else if (f.field == 1 && f.wire == protobuf::Varint)
            t.dims.push_back(f.number);
        if (t.dims.size() > max_dims)
            fail("%s: a tensor has more than %zu dimensions", file, max_dims);
        else if (f.field == 2 && f.wire == protobuf::Varint)
            t.type = f.number;
        else if (f.field == 4 || f.field == 10) { // float_data, double_data
            append_values(f, f.field == 4 ? 4 : 8, t.values, file);
            t.has_values = true;
        } else if (f.field == 8 && f.wire == protobuf::Bytes)
            t.name = f.bytes;
        else if (f.field == 9 && f.wire == protobuf::Bytes)
            t.raw = f.bytes;
        else if (f.field == 14 && f.wire == protobuf::Varint)
            t.external = f.number == 1;
        else if (f.field == 13)
            t.external = true;
        else if (f.field == 5 || f.field == 7 || f.field == 11)
            t.has_values = true, t.type = t.type ? t.type : 0x100; // integer storage: refused when read
    }
    return t;
}

inline Attribute read_attribute(std::string_view bytes, const char* file) {
    Attribute a;
    protobuf::Reader r(bytes, file, "a node's attribute");
    for (protobuf::Field f; r.next(f);) {
        if (f.field == 1 && f.wire == protobuf::Bytes)
            a.name = f.bytes;
        else if (f.field == 2 && f.wire == protobuf::Fixed32)
            a.f = std::bit_cast<float>(std::uint32_t(f.number));
        else if (f.field == 3 && f.wire == protobuf::Varint)
            a.i = f.number;
        else if (f.field == 5 && f.wire == protobuf::Bytes)
            a.t = read_tensor(f.bytes, file);
        else if (f.field == 20 && f.wire == protobuf::Varint)
            a.type = f.number;
    }
    return a;
}

inline Node read_node(std::string_view bytes, const char* file) {
    Node n;
    protobuf::Reader r(bytes, file, "a node");
    for (protobuf::Field f; r.next(f);) {
        if (f.wire != protobuf::Bytes) continue;
        switch (f.field) {
        case 1: n.inputs.push_back(f.bytes); break;
        case 2: n.outputs.push_back(f.bytes); break;
        case 3: n.name = f.bytes; break;
        case 4: n.op = f.bytes; break;
        case 5:
            if (n.attributes.size() == max_attributes)
                fail("%s: a node has more than %zu attributes", file, max_attributes);
            n.attributes.push_back(read_attribute(f.bytes, file));
            break;
        case 7: n.domain = f.bytes; break;
        }
    }
    return n;
}

inline ValueInfo read_value_info(std::string_view bytes, const char* file) {
    ValueInfo v;
    const auto fields = [&](std::string_view message, const char* what, auto&& each) {
        protobuf::Reader r(message, file, what);
        for (protobuf::Field f; r.next(f);) each(f);
    };
    fields(bytes, "a graph input or output", [&](const protobuf::Field& f) {
        if (f.field == 1 && f.wire == protobuf::Bytes) v.name = f.bytes;
        if (f.field != 2 || f.wire != protobuf::Bytes) return;
        fields(f.bytes, "a type", [&](const protobuf::Field& g) {
            if (g.field != 1 || g.wire != protobuf::Bytes) return; // tensor_type
            fields(g.bytes, "a tensor type", [&](const protobuf::Field& h) {
                if (h.field == 1 && h.wire == protobuf::Varint) v.type = h.number;
                if (h.field != 2 || h.wire != protobuf::Bytes) return; // shape
                fields(h.bytes, "a shape", [&](const protobuf::Field& d) {
                    if (d.field != 1 || d.wire != protobuf::Bytes) return;
                    std::optional<std::uint64_t> size;
                    fields(d.bytes, "a dimension", [&](const protobuf::Field& e) {
                        if (e.field == 1 && e.wire == protobuf::Varint) size = e.number;
                    });
                    if (v.dims.size() == max_dims)
                        fail("%s: a graph input or output has more than %zu dimensions", file, max_dims);
                    v.dims.push_back(size);
                });
            });
        });
    });
    return v;
}

inline Graph read_graph(std::string_view bytes, const char* file) {
    Graph g;
    protobuf::Reader r(bytes, file, "the graph");
    for (protobuf::Field f; r.next(f);) {
        if (f.wire != protobuf::Bytes) continue;
        if ((f.field == 1 || f.field == 5 || f.field == 11 || f.field == 12) &&
            g.nodes.size() + g.initializers.size() + g.inputs.size() + g.outputs.size() == max_nodes)
            fail("%s: the graph holds more than %zu nodes, tensors, inputs and outputs; nn loads dense networks", file,
                 max_nodes);
        switch (f.field) {
        case 1: g.nodes.push_back(read_node(f.bytes, file)); break;
        case 5: g.initializers.push_back(read_tensor(f.bytes, file)); break;
        case 11: g.inputs.push_back(read_value_info(f.bytes, file)); break;
        case 12: g.outputs.push_back(read_value_info(f.bytes, file)); break;
        case 15: fail("%s: the graph holds sparse initializers, which nn does not read", file);
        }
    }
    return g;
}

inline ModelFile read_model_file(std::string_view bytes, const char* file) {
    ModelFile m;
    bool default_opset = false;
    protobuf::Reader r(bytes, file, "the model");
    for (protobuf::Field f; r.next(f);) {
        if (f.field == 7 && f.wire == protobuf::Bytes) {
            if (m.graph) fail("%s: not an ONNX file: the model holds two graphs", file);
            m.graph = read_graph(f.bytes, file);
        } else if (f.field == 14 && f.wire == protobuf::Bytes) {
            std::string_view key, value;
            protobuf::Reader entry(f.bytes, file, "a metadata entry");
            for (protobuf::Field e; entry.next(e);) {
                if (e.field == 1 && e.wire == protobuf::Bytes) key = e.bytes;
                if (e.field == 2 && e.wire == protobuf::Bytes) value = e.bytes;
            }
            if (m.metadata.size() == max_nodes)
                fail("%s: the model holds more than %zu metadata entries", file, max_nodes);
            m.metadata.emplace_back(key, value);
        } else if (f.field == 8 && f.wire == protobuf::Bytes) {
            std::string_view domain;
            protobuf::Reader opset(f.bytes, file, "an operator set");
            for (protobuf::Field e; opset.next(e);)
                if (e.field == 1 && e.wire == protobuf::Bytes) domain = e.bytes;
            default_opset = default_opset || domain.empty() || domain == "ai.onnx";
        }
    }
    if (!m.graph) fail("%s: not an ONNX model: it holds no graph", file);
    if (!default_opset)
        fail("%s: not an ONNX model: it imports no version of ONNX's own operators (opset_import)", file);
    return m;
}

/// The number of elements of a tensor of these dimensions, or nn::Error when the product does not
/// fit (a file cannot hold that many).
inline std::uint64_t element_count(const Tensor& t, const char* file) {
    std::uint64_t n = 1;
    for (const std::uint64_t d : t.dims) {
        if (d != 0 && n > (std::uint64_t(1) << 62) / d)
            fail("%s: tensor '%.*s' has more elements than a file can hold", file, int(t.name.size()), t.name.data());
        n *= d;
    }
    return n;
}

/// A tensor's values, converted to T: every one finite, as many as its dimensions say.
template <Real T>
std::vector<T> values(const Tensor& t, const char* file) {
    const auto name = [&] { return std::string(t.name); };
    if (t.external)
        fail("%s: tensor '%s' is stored outside the file (external data), which nn does not read", file,
             name().c_str());
    if (t.type != Float && t.type != Double && t.type != Float16 && t.type != BFloat16)
        fail("%s: tensor '%s' holds %s values; nn reads float, double, float16 and bfloat16", file, name().c_str(),
             t.type == 0x100 ? "integer-stored" : type_name(t.type));
    const std::uint64_t count = element_count(t, file);
    std::vector<T> out;
    if (!t.raw.empty() || !t.has_values) {
        const std::size_t size = t.type == Double ? 8 : t.type == Float ? 4 : 2;
        if (t.raw.size() / size != count || t.raw.size() % size != 0)
            fail("%s: tensor '%s' has %llu elements of %zu bytes, its data is %zu bytes", file, name().c_str(),
                 static_cast<unsigned long long>(count), size, t.raw.size());
        out.reserve(std::size_t(count));
        for (std::size_t k = 0; k < count; ++k) {
            const std::uint64_t bits = protobuf::little_endian(t.raw.data() + k * size, size);
            double v = 0;
            if (t.type == Double)
                v = std::bit_cast<double>(bits);
            else if (t.type == Float)
                v = std::bit_cast<float>(std::uint32_t(bits));
            else if (t.type == Float16)
                v = half_to_float(std::uint16_t(bits));
            else
                v = std::bit_cast<float>(std::uint32_t(bits) << 16);
            out.push_back(static_cast<T>(v));
        }
    } else {
        if ((t.type == Float || t.type == Double) == false || t.values.size() != count)
            fail("%s: tensor '%s' has %llu elements, its %s_data holds %zu", file, name().c_str(),
                 static_cast<unsigned long long>(count), type_name(t.type), t.values.size());
        for (const double v : t.values) out.push_back(static_cast<T>(v));
    }
    for (std::size_t k = 0; k < out.size(); ++k)
        if (!std::isfinite(out[k]))
            fail("%s: tensor '%s' holds %g at element %zu; a network's weights are finite (in %s)", file,
                 name().c_str(), double(out[k]), k, sizeof(T) == 4 ? "float" : "double");
    return out;
}

/// The chain of a graph, read into a model: its layers, activations and scaling.
template <Real T>
Model<T> read_chain(const ModelFile& m, const char* file) {
    const Graph& g = *m.graph;
    // Names sorted, so that every lookup is a binary search (a walk of n nodes takes n log n, not
    // n^2): the tensors stored in the file (Constant nodes' values, which go by the node's output,
    // before initializers: the first of a name counts), and the nodes that read each value.
    using Named = std::pair<std::string_view, std::size_t>;
    const auto by_name = [](const Named& x, const Named& y) { return x.first < y.first; };
    std::vector<const Tensor*> tensors;
    std::vector<Named> stored, readers;
    for (std::size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& n = g.nodes[k];
        if (n.op != "Constant") {
            for (const std::string_view in : n.inputs) readers.emplace_back(in, k);
        } else if (const Attribute* v = n.find("value"); v && v->t && n.outputs.size() == 1) {
            stored.emplace_back(n.outputs[0], tensors.size());
            tensors.push_back(&*v->t);
        }
    }
    for (const Tensor& t : g.initializers) {
        stored.emplace_back(t.name, tensors.size());
        tensors.push_back(&t);
    }
    std::sort(stored.begin(), stored.end());
    std::sort(readers.begin(), readers.end());
    const auto tensor_named = [&](std::string_view name) -> const Tensor* {
        const auto at = std::lower_bound(stored.begin(), stored.end(), Named{name, 0}, by_name);
        return at != stored.end() && at->first == name ? tensors[at->second] : nullptr;
    };
    // (Appended piece by piece: GCC 12 warns falsely of overlapping copies in "'" + std::string.)
    const auto quoted = [](std::string_view s) {
        std::string q(1, '\'');
        q.append(s.substr(0, 80));
        q += '\'';
        return q;
    };
    const auto node_name = [&](const Node& n) {
        std::string text = n.name.empty() ? std::string("without a name") : quoted(n.name);
        text.append(" (").append(n.op.substr(0, 80)) += ')';
        return text;
    };

    std::vector<const ValueInfo*> inputs;
    for (const ValueInfo& v : g.inputs)
        if (!tensor_named(v.name)) inputs.push_back(&v); // older files list initializers as inputs too
    if (inputs.size() != 1 || g.outputs.size() != 1)
        fail("%s: the graph has %zu inputs and %zu outputs (besides its weights); nn loads a network of one input "
             "and one output",
             file, inputs.size(), g.outputs.size());
    const ValueInfo& input = *inputs[0];
    if (!input.dims.empty() && input.dims.size() != 2)
        fail("%s: the graph's input %s has %zu dimensions; a network's input is [batch, inputs]", file,
             quoted(input.name).c_str(), input.dims.size());

    struct Layer {
        std::vector<T> weights; // in x out, row by row
        std::vector<T> bias;
        std::size_t in = 0, out = 0;
        std::optional<Activation> activation;
        bool awaiting_add = false;
    };
    std::vector<Layer> layers;
    std::vector<T> mean, scale;
    std::vector<bool> used(g.nodes.size(), false);
    std::string_view a = input.name;
    std::size_t width = input.dims.size() == 2 && input.dims[1] ? std::size_t(*input.dims[1]) : 0;

    for (;;) {
        std::size_t next = g.nodes.size();
        const auto [first, last] = std::equal_range(readers.begin(), readers.end(), Named{a, 0}, by_name);
        for (auto r = first; r != last; ++r) { // in the order of the nodes
            if (r->second == next) continue;   // a node that reads it twice
            if (next != g.nodes.size())
                fail("%s: nodes %s and %s both read %s; nn loads a chain of layers, each node reading the one before",
                     file, node_name(g.nodes[next]).c_str(), node_name(g.nodes[r->second]).c_str(), quoted(a).c_str());
            next = r->second;
        }
        if (next == g.nodes.size()) {
            if (a != g.outputs[0].name)
                fail("%s: no node reads %s, and the graph's output is %s: not a chain from input to output", file,
                     quoted(a).c_str(), quoted(g.outputs[0].name).c_str());
            break;
        }
        if (used[next])
            fail("%s: node %s is reached twice: the graph has a cycle", file, node_name(g.nodes[next]).c_str());
        used[next] = true;
        const Node& n = g.nodes[next];
        const std::string what = node_name(n);
        if (!n.domain.empty() && n.domain != "ai.onnx")
            fail("%s: node %s is of the operator domain '%.40s'; nn reads ONNX's own operators", file, what.c_str(),
                 std::string(n.domain).c_str());
        if (n.outputs.size() != 1)
            fail("%s: node %s has %zu outputs; a layer's node has one", file, what.c_str(), n.outputs.size());
        // The operand at `k` besides the chain's, which the file must hold.
        const auto operand = [&](std::size_t k) -> const Tensor& {
            if (k >= n.inputs.size() || n.inputs[k] == a)
                fail("%s: node %s reads the layer before as its operand %zu; nn loads a chain of layers", file,
                     what.c_str(), k);
            const Tensor* t = tensor_named(n.inputs[k]);
            if (!t)
                fail("%s: node %s reads %s, which is not a tensor stored in the file", file, what.c_str(),
                     quoted(n.inputs[k]).c_str());
            return *t;
        };
        const auto vector_of = [&](const Tensor& t, std::size_t size, const char* role) {
            const bool row = (t.dims.size() == 1 && t.dims[0] == size) ||
                             (t.dims.size() == 2 && t.dims[0] == 1 && t.dims[1] == size);
            if (!row)
                fail("%s: node %s's %s %s is not a vector of %zu", file, what.c_str(), role, quoted(t.name).c_str(),
                     size);
            return values<T>(t, file);
        };
        const auto integer = [&](const char* key, std::int64_t otherwise) {
            const Attribute* at = n.find(key);
            return at ? static_cast<std::int64_t>(at->i) : otherwise;
        };
        const auto real = [&](const char* key, float otherwise) {
            const Attribute* at = n.find(key);
            return at ? at->f : otherwise;
        };
        const auto pending = [&]() -> Layer& {
            if (layers.empty() || layers.back().activation)
                fail("%s: node %s follows no Gemm or MatMul; nn reads each activation after a layer's product", file,
                     what.c_str());
            return layers.back();
        };
        if (n.op == "Identity") {
        } else if (n.op == "Sub" && layers.empty() && mean.empty()) {
            if (n.inputs.size() != 2 || n.inputs[0] != a) fail("%s: node %s is not input - mean", file, what.c_str());
            if (!width) fail("%s: the graph's input does not say how many columns it has", file);
            mean = vector_of(operand(1), width, "mean");
        } else if (n.op == "Mul" && layers.empty() && mean.size() == width && scale.empty() && !mean.empty()) {
            scale = vector_of(operand(n.inputs.size() == 2 && n.inputs[0] == a ? 1 : 0), width, "scale");
            for (std::size_t c = 0; c < width; ++c)
                if (!(scale[c] > T(0)))
                    fail("%s: node %s scales column %zu by %g; a scale must be > 0", file, what.c_str(), c,
                         double(scale[c]));
        } else if (n.op == "Gemm" || n.op == "MatMul") {
            if (!layers.empty()) { // the layer before ends: linear, and without a bias if no Add came
                layers.back().awaiting_add = false;
                if (!layers.back().activation) layers.back().activation = Activation::Linear;
            }
            if (n.inputs.empty() || n.inputs[0] != a)
                fail("%s: node %s reads the layer before as its second operand; nn reads x . W", file, what.c_str());
            const bool gemm = n.op == "Gemm";
            if (gemm && (integer("transA", 0) != 0 || real("alpha", 1) != 1 || real("beta", 1) != 1))
                fail("%s: node %s has transA %lld, alpha %g, beta %g; nn reads a layer as Gemm with transA 0, alpha 1, "
                     "beta 1",
                     file, what.c_str(), static_cast<long long>(integer("transA", 0)), double(real("alpha", 1)),
                     double(real("beta", 1)));
            const bool transposed = gemm && integer("transB", 0) != 0;
            const Tensor& W = operand(1);
            if (W.dims.size() != 2 || W.dims[0] == 0 || W.dims[1] == 0)
                fail("%s: node %s's weights %s are not a matrix", file, what.c_str(), quoted(W.name).c_str());
            Layer layer;
            layer.in = std::size_t(W.dims[transposed ? 1 : 0]);
            layer.out = std::size_t(W.dims[transposed ? 0 : 1]);
            const std::size_t before = layers.empty() ? width : layers.back().out;
            if (before && layer.in != before)
                fail("%s: node %s's weights %s take %zu inputs, the layer before gives %zu", file, what.c_str(),
                     quoted(W.name).c_str(), layer.in, before);
            std::vector<T> w = values<T>(W, file);
            layer.weights.resize(w.size());
            for (std::size_t i = 0; i < layer.in; ++i)
                for (std::size_t o = 0; o < layer.out; ++o)
                    layer.weights[i * layer.out + o] = transposed ? w[o * layer.in + i] : w[i * layer.out + o];
            if (gemm && n.inputs.size() > 2 && !n.inputs[2].empty())
                layer.bias = vector_of(operand(2), layer.out, "bias");
            else
                layer.bias.assign(layer.out, T(0));
            layer.awaiting_add = !gemm;
            layers.push_back(std::move(layer));
        } else if (n.op == "Add" && !layers.empty() && layers.back().awaiting_add && !layers.back().activation) {
            if (n.inputs.size() != 2) fail("%s: node %s does not add two operands", file, what.c_str());
            layers.back().bias = vector_of(operand(n.inputs[0] == a ? 1 : 0), layers.back().out, "bias");
            layers.back().awaiting_add = false;
        } else if (n.op == "Relu") {
            pending().activation = Activation::ReLU;
        } else if (n.op == "Tanh") {
            pending().activation = Activation::Tanh;
        } else if (n.op == "Sigmoid") {
            pending().activation = Activation::Sigmoid;
        } else if (n.op == "LeakyRelu") {
            if (real("alpha", 0.01f) != float(leaky_relu_slope))
                fail("%s: node %s has slope %g; nn's leaky ReLU has the slope %g", file, what.c_str(),
                     double(real("alpha", 0.01f)), leaky_relu_slope);
            pending().activation = Activation::LeakyReLU;
        } else if (n.op == "PRelu") {
            const std::vector<T> slope = values<T>(operand(1), file);
            if (slope.size() != 1 || float(slope[0]) != float(leaky_relu_slope))
                fail("%s: node %s's slope is not the one number %g; nn's leaky ReLU has that slope", file, what.c_str(),
                     leaky_relu_slope);
            pending().activation = Activation::LeakyReLU;
        } else if (n.op == "Softmax") {
            if (const std::int64_t axis = integer("axis", -1); axis != -1 && axis != 1)
                fail("%s: node %s takes the softmax over axis %lld; nn's is over each row (axis 1 or -1)", file,
                     what.c_str(), static_cast<long long>(axis));
            pending().activation = Activation::Softmax;
        } else {
            fail("%s: node %s is not a step of a dense network that nn loads: a Gemm or MatMul (+ Add) per layer, "
                 "each followed by at most one of Relu, LeakyRelu, Tanh, Sigmoid, Softmax%s",
                 file, what.c_str(),
                 n.op == "Sub" || n.op == "Mul" ? " (a Sub then a Mul in front: an input scaling)" : "");
        }
        a = n.outputs[0];
    }
    for (std::size_t k = 0; k < g.nodes.size(); ++k)
        if (!used[k] && g.nodes[k].op != "Constant")
            fail("%s: node %s is not on the chain from the input to the output", file, node_name(g.nodes[k]).c_str());
    if (layers.empty()) fail("%s: the graph holds no Gemm or MatMul: no layer to load", file);
    if (!mean.empty() && scale.empty())
        fail("%s: the graph subtracts a mean from its input but scales by nothing", file);

    std::vector<std::size_t> arch{layers.front().in};
    std::vector<Activation> activations;
    for (const Layer& l : layers) {
        arch.push_back(l.out);
        activations.push_back(l.activation.value_or(Activation::Linear));
    }
    Loss loss = Loss::MSE;
    if (const std::string_view* text = m.find("loss"); text && !parse_loss(*text, loss))
        fail("%s: the metadata's loss '%.40s' is none of mse, cross_entropy, binary_cross_entropy", file,
             std::string(*text).c_str());
    std::optional<NN<T>> net;
    try {
        net.emplace(arch, activations, loss, InitOptions{.scheme = Init::Zero});
    } catch (const Error& e) {
        fail("%s: %s", file, e.what());
    }
    Model<T> model{std::move(*net)};
    for (std::size_t l = 0; l < layers.size(); ++l) {
        auto& W = model.net.weights(l);
        for (std::size_t i = 0; i < layers[l].in; ++i)
            for (std::size_t o = 0; o < layers[l].out; ++o) W(i, o) = layers[l].weights[i * layers[l].out + o];
        for (std::size_t o = 0; o < layers[l].out; ++o) model.net.biases(l)(0, o) = layers[l].bias[o];
    }
    if (!mean.empty()) {
        Matrix<T> mu(1, width), s(1, width);
        for (std::size_t c = 0; c < width; ++c) mu(0, c) = mean[c], s(0, c) = scale[c];
        model.scaling.emplace(std::move(mu), std::move(s));
    }
    if (const std::string_view* text = m.find("classes"))
        model.classes = parse_classes(std::string(*text), model.class_count(), file);
    return model;
}

template <Real T>
Model<T> parse_model(std::string_view bytes, const char* file) {
    return read_chain<T>(read_model_file(bytes, file), file);
}

} // namespace detail::onnx

template <Real T>
void export_onnx(const NN<T>& net, const std::string& path) {
    const std::string bytes = detail::onnx::to_onnx(net, static_cast<const Standardizer<T>*>(nullptr), {});
    (void)detail::onnx::parse_model<T>(bytes, path.c_str()); // what is written, loads
    detail::write_file_atomically(path, bytes);
}

template <Real T>
void export_onnx(const Model<T>& model, const std::string& path) {
    model.check();
    const std::string bytes =
        detail::onnx::to_onnx(model.net, model.scaling ? &*model.scaling : nullptr, model.classes);
    (void)detail::onnx::parse_model<T>(bytes, path.c_str());
    detail::write_file_atomically(path, bytes);
}

template <Real T>
NN<T> load_onnx(const std::string& path) {
    Model<T> model = detail::onnx::parse_model<T>(detail::read_file(path), path.c_str());
    if (model.scaling)
        detail::fail("%s: the graph scales its inputs (a Sub and a Mul in front of the layers): load it with "
                     "nn::load_onnx_model",
                     path.c_str());
    return std::move(model.net);
}

template <Real T>
Model<T> load_onnx_model(const std::string& path) {
    return detail::onnx::parse_model<T>(detail::read_file(path), path.c_str());
}

} // namespace nn
#endif // NN_DETAIL_DEFINITIONS

NN_DETAIL_OUT_OF_LINE(void nn::export_onnx<float>(const nn::NN<float>&, const std::string&));
NN_DETAIL_OUT_OF_LINE(void nn::export_onnx<double>(const nn::NN<double>&, const std::string&));
NN_DETAIL_OUT_OF_LINE(void nn::export_onnx<float>(const nn::Model<float>&, const std::string&));
NN_DETAIL_OUT_OF_LINE(void nn::export_onnx<double>(const nn::Model<double>&, const std::string&));
NN_DETAIL_OUT_OF_LINE(nn::NN<float> nn::load_onnx<float>(const std::string&));
NN_DETAIL_OUT_OF_LINE(nn::NN<double> nn::load_onnx<double>(const std::string&));
NN_DETAIL_OUT_OF_LINE(nn::Model<float> nn::load_onnx_model<float>(const std::string&));
NN_DETAIL_OUT_OF_LINE(nn::Model<double> nn::load_onnx_model<double>(const std::string&));
