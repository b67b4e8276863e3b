// nn::export_onnx and nn::load_onnx: exact round trips of every activation, the forms other
// writers use (MatMul + Add, Gemm without transB, Constant nodes, float_data, float16), and every
// kind of bad file refused with a message naming what is wrong. ONNX Runtime, onnx.checker and
// PyTorch's own files: tests/onnx/onnx.sh.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/onnx.hpp>

namespace {

using nn::Activation;
using nn::detail::protobuf::Writer;
namespace onnx = nn::detail::onnx;

// A graph written by hand, as other tools write them: input "x" [batch, inputs], output "y".
struct GraphBuilder {
    Writer graph;
    std::size_t inputs, outputs;

    GraphBuilder(std::size_t in, std::size_t out) : inputs(in), outputs(out) {}

    // A float tensor stored as raw data.
    GraphBuilder& tensor(const std::string& name, std::initializer_list<std::size_t> dims, std::vector<float> v) {
        graph.message(5, onnx::tensor<float>(name, dims, [&](std::size_t k) { return v.at(k); }));
        return *this;
    }
    GraphBuilder& tensor(const Writer& t) {
        graph.message(5, t);
        return *this;
    }
    GraphBuilder& node(const onnx::NodeWriter& n) {
        graph.message(1, n.node);
        return *this;
    }
    GraphBuilder& node(const char* op, std::initializer_list<std::string_view> in, const char* out) {
        return node(onnx::NodeWriter(op, std::string(op) + "_node", in, out));
    }
    std::string bytes(std::uint64_t type = onnx::Float) const {
        Writer g = graph, model, opset;
        g.message(11, onnx::value_info("x", onnx::DataType(type), inputs));
        g.message(12, onnx::value_info("y", onnx::DataType(type), outputs));
        model.varint(1, 8);
        model.message(7, g);
        opset.bytes(1, "");
        opset.varint(2, 14);
        model.message(8, opset);
        return model.str();
    }
};

// The message of the nn::Error that parsing these bytes throws, or "" when they load.
template <class T = float>
std::string error_of(const std::string& bytes) {
    try {
        (void)onnx::parse_model<T>(bytes, "m.onnx");
    } catch (const nn::Error& e) {
        return e.what();
    }
    return "";
}

// 2 -> 3 (tanh) -> 1: W0 [in, out] = {{1, 2, 3}, {4, 5, 6}}, b0 = {0.1, 0.2, 0.3}, W1 = {0.5, -1, 2}.
nn::NN<float> reference_net() {
    nn::NN<float> net({2, 3, 1}, {Activation::Tanh, Activation::Linear});
    net.weights(0) = {{1, 2, 3}, {4, 5, 6}};
    net.biases(0) = {{0.1f, 0.2f, 0.3f}};
    net.weights(1) = {{0.5f}, {-1}, {2}};
    net.biases(1) = {{-0.25f}};
    return net;
}

void check_reference(const nn::NN<float>& net) {
    const nn::NN<float> want = reference_net();
    REQUIRE(net.arch() == want.arch());
    CHECK(net.activations() == want.activations());
    for (std::size_t k = 0; k < net.parameter_count(); ++k) CHECK(net.parameters()[k] == want.parameters()[k]);
}

} // namespace

TEST_CASE_TEMPLATE("export_onnx then load_onnx gives the same network, bit for bit, for every activation", T, float,
                   double) {
    const Activation all[] = {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                              Activation::Linear};
    for (std::size_t k = 0; k < 5; ++k) {
        for (const Activation output : {Activation::Linear, Activation::Softmax, Activation::Sigmoid, all[k]}) {
            const nn::Loss loss = output == Activation::Softmax   ? nn::Loss::CrossEntropy
                                  : output == Activation::Sigmoid ? nn::Loss::BinaryCrossEntropy
                                                                  : nn::Loss::MSE;
            nn::NN<T> net({4, 6, 5, 3}, {all[k], all[(k + 2) % 5], output}, loss, {.seed = k + 7});
            nn::Rng rng(k);
            for (std::size_t l = 0; l < net.layers(); ++l)
                for (T& b : net.biases(l)) b = rng.uniform(T(-1), T(1));
            const std::string bytes = onnx::to_onnx(net, static_cast<const nn::Standardizer<T>*>(nullptr), {});
            const nn::NN<T> back = onnx::parse_model<T>(bytes, "m.onnx").net;
            CAPTURE(nn::detail::join_activations(net.activations()));
            CHECK(back.arch() == net.arch());
            CHECK(back.activations() == net.activations());
            CHECK(back.loss() == loss);
            CHECK(std::memcmp(back.parameters().data(), net.parameters().data(), net.parameter_count() * sizeof(T)) ==
                  0);
        }
    }
}

TEST_CASE("export_onnx and load_onnx_model keep a model's scaling and class names; load_onnx refuses it") {
    test::Folder folder;
    nn::Model<double> model{
        nn::NN<double>({3, 4, 2}, {Activation::ReLU, Activation::Softmax}, nn::Loss::CrossEntropy),
        nn::Standardizer<double>(nn::Matrix<double>{{1, -2, 0.5}}, nn::Matrix<double>{{2, 0.25, 1}}),
        {"no", "yes \"quoted\""}};
    const std::string path = folder.file("model.onnx");
    nn::export_onnx(model, path);
    const nn::Model<double> back = nn::load_onnx_model<double>(path);
    REQUIRE(back.scaling);
    CHECK(back.scaling->mean() == model.scaling->mean());
    CHECK(back.scaling->scale() == model.scaling->scale());
    CHECK(back.classes == model.classes);
    CHECK(back.predict({0.5, 1, -3}) == model.predict({0.5, 1, -3}));
    CHECK_THROWS_WITH_AS(nn::load_onnx<double>(path), doctest::Contains("load it with nn::load_onnx_model"), nn::Error);

    // A plain network's file loads as a model without either.
    nn::export_onnx(model.net, folder.file("net.onnx"));
    const nn::Model<float> plain = nn::load_onnx_model<float>(folder.file("net.onnx"));
    CHECK_FALSE(plain.scaling);
    CHECK(plain.classes.empty());
}

TEST_CASE("load_onnx reads the forms other writers use") {
    SUBCASE("Gemm with transB (PyTorch's Linear), Identity nodes, no metadata") {
        GraphBuilder g(2, 1);
        g.tensor("w0", {3, 2}, {1, 4, 2, 5, 3, 6}).tensor("b0", {3}, {0.1f, 0.2f, 0.3f});
        g.tensor("w1", {1, 3}, {0.5f, -1, 2}).tensor("b1", {1}, {-0.25f});
        g.node("Identity", {"x"}, "x1");
        g.node(onnx::NodeWriter("Gemm", "g0", {"x1", "w0", "b0"}, "z0").attribute("transB", std::int64_t{1}));
        g.node("Tanh", {"z0"}, "a0");
        g.node(onnx::NodeWriter("Gemm", "g1", {"a0", "w1", "b1"}, "y").attribute("transB", std::int64_t{1}));
        check_reference(onnx::parse_model<float>(g.bytes(), "m.onnx").net);
    }
    SUBCASE("MatMul + Add with the bias first, weights in Constant nodes, a bias of shape [1, out]") {
        GraphBuilder g(2, 1);
        onnx::NodeWriter w0("Constant", "c0", {}, "w0");
        Writer value;
        value.bytes(1, "value");
        value.message(5, onnx::tensor<float>("", {2, 3}, [](std::size_t k) { return float(k + 1); }));
        value.varint(20, 4); // TENSOR
        w0.node.message(5, value);
        g.node(w0).tensor("b0", {1, 3}, {0.1f, 0.2f, 0.3f});
        g.tensor("w1", {3, 1}, {0.5f, -1, 2}).tensor("b1", {1}, {-0.25f});
        g.node("MatMul", {"x", "w0"}, "p0").node("Add", {"b0", "p0"}, "z0").node("Tanh", {"z0"}, "a0");
        g.node("MatMul", {"a0", "w1"}, "p1").node("Add", {"p1", "b1"}, "y");
        check_reference(onnx::parse_model<float>(g.bytes(), "m.onnx").net);
    }
    SUBCASE("float_data and double_data instead of raw data; float16; a MatMul without a bias") {
        GraphBuilder g(2, 1);
        Writer w0; // float_data, packed
        w0.packed_varints(1, std::vector<int>{2, 3});
        w0.varint(2, onnx::Float);
        w0.bytes(8, "w0");
        std::string floats;
        for (float v : {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}) nn::detail::put_le(floats, &v, 4);
        w0.bytes(4, floats);
        Writer b0; // double_data, one field per value (unpacked, as protobuf allows)
        b0.varint(1, 3);
        b0.varint(2, onnx::Double);
        b0.bytes(8, "b0");
        for (double v : {0.1, 0.2, 0.3}) {
            std::string eight;
            nn::detail::put_le(eight, &v, 8);
            b0.bytes(10, eight);
        }
        Writer w1; // float16: 0.5, -1, 2
        w1.packed_varints(1, std::vector<int>{3, 1});
        w1.varint(2, onnx::Float16);
        w1.bytes(8, "w1");
        w1.bytes(9, std::string("\x00\x38\x00\xBC\x00\x40", 6));
        g.tensor(w0).tensor(b0).tensor(w1);
        g.node("MatMul", {"x", "w0"}, "p0").node("Add", {"p0", "b0"}, "z0").node("Tanh", {"z0"}, "a0");
        g.node("MatMul", {"a0", "w1"}, "y");
        const nn::NN<float> net = onnx::parse_model<float>(g.bytes(), "m.onnx").net;
        REQUIRE(net.arch() == std::vector<std::size_t>{2, 3, 1});
        CHECK(net.weights(0) == reference_net().weights(0));
        CHECK(net.biases(0) == reference_net().biases(0)); // 0.1 read as a double, then rounded to float
        CHECK(net.weights(1) == reference_net().weights(1));
        CHECK(net.biases(1)(0, 0) == 0);
    }
    SUBCASE("LeakyRelu (alpha 0.01f) and PRelu with slope 0.01 are the leaky ReLU; Softmax over axis -1") {
        GraphBuilder g(2, 2);
        g.tensor("w0", {2, 2}, {1, 0, 0, 1}).tensor("w1", {2, 2}, {1, 0, 0, 1}).tensor("slope", {1}, {0.01f});
        g.tensor("w2", {2, 2}, {1, 0, 0, 1});
        g.node("MatMul", {"x", "w0"}, "z0")
            .node(onnx::NodeWriter("LeakyRelu", "l", {"z0"}, "a0").attribute("alpha", 0.01f));
        g.node("MatMul", {"a0", "w1"}, "z1").node("PRelu", {"z1", "slope"}, "a1");
        g.node("MatMul", {"a1", "w2"}, "z2")
            .node(onnx::NodeWriter("Softmax", "s", {"z2"}, "y").attribute("axis", std::int64_t{-1}));
        const nn::NN<double> net = onnx::parse_model<double>(g.bytes(), "m.onnx").net;
        CHECK(net.activations() == std::vector{Activation::LeakyReLU, Activation::LeakyReLU, Activation::Softmax});
    }
}

TEST_CASE("load_onnx refuses what is not a chain of dense layers, naming the node") {
    const auto base = [] {
        GraphBuilder g(2, 1);
        g.tensor("w0", {3, 2}, {1, 4, 2, 5, 3, 6}).tensor("b0", {3}, {0.1f, 0.2f, 0.3f});
        g.tensor("w1", {1, 3}, {0.5f, -1, 2}).tensor("b1", {1}, {-0.25f});
        return g;
    };
    const auto gemm = [](const char* name, std::initializer_list<std::string_view> in, const char* out) {
        return onnx::NodeWriter("Gemm", name, in, out).attribute("transB", std::int64_t{1});
    };
    SUBCASE("another operator") {
        GraphBuilder g = base();
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0")).node(onnx::NodeWriter("Elu", "my_elu", {"z0"}, "a0"));
        g.node(gemm("g1", {"a0", "w1", "b1"}, "y"));
        CHECK(error_of(g.bytes()) == "m.onnx: node 'my_elu' (Elu) is not a step of a dense network that nn loads: a "
                                     "Gemm or MatMul (+ Add) per layer, each followed by at most one of Relu, "
                                     "LeakyRelu, Tanh, Sigmoid, Softmax");
    }
    SUBCASE("a branch") {
        GraphBuilder g = base();
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0")).node("Tanh", {"z0"}, "a0").node("Sigmoid", {"z0"}, "s0");
        g.node(gemm("g1", {"a0", "w1", "b1"}, "y"));
        CHECK(error_of(g.bytes()) == "m.onnx: nodes 'Tanh_node' (Tanh) and 'Sigmoid_node' (Sigmoid) both read 'z0'; nn "
                                     "loads a chain of layers, each node reading the one before");
    }
    SUBCASE("a node off the chain") {
        GraphBuilder g = base();
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0")).node("Tanh", {"z0"}, "a0");
        g.node(gemm("g1", {"a0", "w1", "b1"}, "y")).node("Relu", {"w1"}, "unused");
        CHECK(error_of(g.bytes()) ==
              "m.onnx: node 'Relu_node' (Relu) is not on the chain from the input to the output");
    }
    SUBCASE("a chain that ends elsewhere than the output") {
        GraphBuilder g = base();
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0")).node("Tanh", {"z0"}, "a0");
        CHECK(error_of(g.bytes()) ==
              "m.onnx: no node reads 'a0', and the graph's output is 'y': not a chain from input to output");
    }
    SUBCASE("two activations in a row, or one before any layer") {
        GraphBuilder g = base();
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0")).node("Tanh", {"z0"}, "a0").node("Relu", {"a0"}, "r0");
        g.node(gemm("g1", {"r0", "w1", "b1"}, "y"));
        CHECK(error_of(g.bytes()) == "m.onnx: node 'Relu_node' (Relu) follows no Gemm or MatMul; nn reads each "
                                     "activation after a layer's product");
    }
    SUBCASE("shapes that do not chain") {
        GraphBuilder g = base();
        g.tensor("w_bad", {1, 4}, {1, 2, 3, 4});
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0")).node(gemm("g1", {"z0", "w_bad", "b1"}, "y"));
        CHECK(error_of(g.bytes()) ==
              "m.onnx: node 'g1' (Gemm)'s weights 'w_bad' take 4 inputs, the layer before gives 3");
    }
    SUBCASE("a Gemm nn cannot read as x . W + b") {
        GraphBuilder g = base();
        g.node(gemm("g0", {"x", "w0", "b0"}, "z0").attribute("alpha", 2.0f)).node(gemm("g1", {"z0", "w1", "b1"}, "y"));
        CHECK(error_of(g.bytes()) == "m.onnx: node 'g0' (Gemm) has transA 0, alpha 2, beta 1; nn reads a layer as Gemm "
                                     "with transA 0, alpha 1, beta 1");
    }
    SUBCASE("weights computed by another node") {
        GraphBuilder g = base();
        g.node("Identity", {"w0"}, "w0_copy");
        g.node(gemm("g0", {"x", "w0_copy", "b0"}, "z0")).node(gemm("g1", {"z0", "w1", "b1"}, "y"));
        CHECK(error_of(g.bytes()).find("which is not a tensor stored in the file") != std::string::npos);
    }
    SUBCASE("weights that are not finite, or stored elsewhere") {
        GraphBuilder g(2, 1);
        g.tensor("w0", {1, 2}, {1, std::numeric_limits<float>::quiet_NaN()});
        g.node(gemm("g0", {"x", "w0"}, "y"));
        CHECK(error_of(g.bytes()) ==
              "m.onnx: tensor 'w0' holds nan at element 1; a network's weights are finite (in float)");
        GraphBuilder big(2, 1);
        big.tensor("w0", {1, 2}, {1e30f, 1e30f});
        big.node(gemm("g0", {"x", "w0"}, "y"));
        CHECK(error_of(big.bytes()) == "");
        GraphBuilder e(2, 1);
        Writer w;
        w.packed_varints(1, std::vector<int>{1, 2});
        w.varint(2, onnx::Float);
        w.bytes(8, "w0");
        w.varint(14, 1); // EXTERNAL
        e.tensor(w).node(gemm("g0", {"x", "w0"}, "y"));
        CHECK(error_of(e.bytes()) ==
              "m.onnx: tensor 'w0' is stored outside the file (external data), which nn does not read");
    }
    SUBCASE("a tensor whose data does not match its shape") {
        GraphBuilder g(2, 1);
        g.tensor("w0", {1, 2}, {1, 2});
        Writer big; // 2^62 outputs of 2 inputs: 2^63 elements
        big.packed_varints(1, std::vector<std::uint64_t>{std::uint64_t(1) << 62, 2});
        big.varint(2, onnx::Float);
        big.bytes(8, "huge");
        big.bytes(9, "abcd");
        g.tensor(big).node(gemm("g0", {"x", "huge"}, "y"));
        CHECK(error_of(g.bytes()) == "m.onnx: tensor 'huge' has more elements than a file can hold");
    }
    SUBCASE("more nodes than a dense network has (the reader's memory stays a small multiple of the file's)") {
        GraphBuilder g(2, 2);
        for (int k = 0; k < 20000; ++k) g.graph.message(1, Writer());
        CHECK(error_of(g.bytes()) == "m.onnx: the graph holds more than 16384 nodes, tensors, inputs and outputs; nn "
                                     "loads dense networks");
    }
    SUBCASE("no graph, or no layer") {
        CHECK(error_of("") == "m.onnx: not an ONNX model: it holds no graph");
        GraphBuilder g(2, 2);
        g.node("Identity", {"x"}, "y");
        CHECK(error_of(g.bytes()) == "m.onnx: the graph holds no Gemm or MatMul: no layer to load");
    }
}

TEST_CASE("load_onnx throws nn::Error on every truncation and corruption of a valid file") {
    nn::NN<float> net({3, 4, 2}, {Activation::LeakyReLU, Activation::Softmax}, nn::Loss::CrossEntropy);
    const std::string bytes = onnx::to_onnx(net, static_cast<const nn::Standardizer<float>*>(nullptr), {});
    REQUIRE(error_of(bytes) == "");
    // A prefix that cuts the graph or the operator set after it short is refused; one that ends
    // between the metadata's entries (protobuf has no end mark) loads the same network.
    const std::size_t graph_end = bytes.find(std::string("\x42\x04\x0A\x00\x10\x10", 6));
    REQUIRE(graph_end != std::string::npos);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        CAPTURE(n);
        if (n < graph_end + 6) {
            CHECK(error_of(bytes.substr(0, n)) != "");
        } else if (error_of(bytes.substr(0, n)).empty()) {
            const nn::NN<float> back = onnx::parse_model<float>(bytes.substr(0, n), "m.onnx").net;
            CHECK(std::memcmp(back.parameters().data(), net.parameters().data(), net.parameter_count() * 4) == 0);
        }
    }
    nn::Rng rng(3);
    for (int round = 0; round < 2000; ++round) { // flipped bytes: loads, or nn::Error (nothing else)
        std::string bad = bytes;
        for (int k = 0; k < 3; ++k) bad[rng.below(bad.size())] = char(rng.below(256));
        (void)error_of(bad);
    }
    CHECK(error_of("\x08\x96\x01\x08") == "m.onnx: not a protobuf file (as ONNX files are): a number cut off by the "
                                          "end of the message in the model at byte 4 of 4");
    CHECK(error_of(std::string("\x0B\x00", 2)).find("a group or an unknown wire type") != std::string::npos);
    CHECK(error_of("\x3A\x05\x0A") == "m.onnx: not a protobuf file (as ONNX files are): a length past the end of the "
                                      "message in the model at byte 2 of 3");
}

TEST_CASE("load_onnx of a missing file, and export_onnx into a missing folder, say so; nothing is written") {
    test::Folder folder;
    CHECK_THROWS_AS(nn::load_onnx<float>(folder.file("none.onnx")), nn::Error);
    const nn::NN<float> net({2, 2});
    CHECK_THROWS_AS(nn::export_onnx(net, folder.file("no/such/folder/x.onnx")), nn::Error);
    CHECK_FALSE(std::filesystem::exists(folder.file("no")));
}
