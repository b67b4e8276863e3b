// The C++ side of the ONNX round trips (tests/onnx.sh):
//   onnx_tool export DIR   networks of every activation and output/loss pair, in float and double,
//                          and a Model with its scaling, written by nn::export_onnx as DIR/NAME.onnx,
//                          with 1,000 inputs (NAME.in) and predict's outputs (NAME.out); DIR/nn.txt
//                          lists them, a line "NAME float|double ROWS INPUTS OUTPUTS" each
//   onnx_tool load DIR     the files PyTorch wrote (DIR/torch.txt, the same lines with a last word:
//                          "ok", or the text nn::load_onnx's error must contain) loaded by
//                          nn::load_onnx: predict's outputs equal PyTorch's (NAME.out) within
//                          float rounding, and the bad files refused with their message
// .in and .out hold the numbers row by row, little-endian, as float or double.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nn/nn.hpp>
#include <nn/onnx.hpp>

namespace {

using nn::Activation;

template <class T>
void write_numbers(const std::string& path, const std::vector<T>& v) {
    nn::detail::write_file_atomically(path, std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)));
}

template <class T>
std::vector<T> read_numbers(const std::string& path, std::size_t count) {
    const std::string bytes = nn::detail::read_file(path);
    if (bytes.size() != count * sizeof(T)) throw nn::Error(path + ": not " + std::to_string(count) + " numbers");
    std::vector<T> v(count);
    std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
}

// Writes NAME.onnx, NAME.in and NAME.out for a model, and its line of nn.txt.
template <class T>
void export_case(const std::string& dir, const std::string& name, const nn::Model<T>& model, nn::Rng& rng,
                 std::ofstream& list) {
    const std::size_t rows = 1000, in = model.net.inputs(), out = model.net.outputs();
    std::vector<T> X(rows * in), Y(rows * out);
    for (T& x : X) x = rng.uniform(T(-3), T(3));
    for (std::size_t i = 0; i < rows; ++i)
        model.predict(std::span<const T>(&X[i * in], in), std::span<T>(&Y[i * out], out));
    nn::export_onnx(model, dir + "/" + name + ".onnx");
    write_numbers(dir + "/" + name + ".in", X);
    write_numbers(dir + "/" + name + ".out", Y);
    list << name << ' ' << (sizeof(T) == 4 ? "float" : "double") << ' ' << rows << ' ' << in << ' ' << out << '\n';
}

template <class T>
void export_all(const std::string& dir, std::ofstream& list) {
    const Activation hidden[] = {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                                 Activation::Linear};
    struct Pair {
        Activation output;
        nn::Loss loss;
    };
    const Pair pairs[] = {{Activation::Linear, nn::Loss::MSE},
                          {Activation::Sigmoid, nn::Loss::MSE},
                          {Activation::Tanh, nn::Loss::MSE},
                          {Activation::ReLU, nn::Loss::MSE},
                          {Activation::LeakyReLU, nn::Loss::MSE},
                          {Activation::Softmax, nn::Loss::MSE},
                          {Activation::Softmax, nn::Loss::CrossEntropy},
                          {Activation::Sigmoid, nn::Loss::BinaryCrossEntropy}};
    nn::Rng rng(sizeof(T));
    std::size_t k = 0;
    for (const Pair& p : pairs) { // two hidden layers each: every hidden activation, twice over
        const std::vector<Activation> acts{hidden[k % 5], hidden[(k + 1) % 5], p.output};
        nn::NN<T> net({7, 16, 9, p.output == Activation::Softmax ? 5u : 3u}, acts, p.loss, {.seed = k + 1});
        for (std::size_t l = 0; l < net.layers(); ++l)
            for (T& b : net.biases(l)) b = rng.uniform(T(-0.5), T(0.5)); // biases that matter
        const std::string name = std::string(sizeof(T) == 4 ? "f32_" : "f64_") + nn::name(acts[0]) + "_" +
                                 nn::name(acts[1]) + "_" + nn::name(p.output) + "_" + nn::name(p.loss);
        export_case<T>(dir, name, nn::Model<T>{net}, rng, list);
        ++k;
    }
    // A model: the scaling as nodes in front, and class names in the metadata.
    nn::Matrix<T> mean(1, 7), scale(1, 7);
    for (std::size_t c = 0; c < 7; ++c) mean(0, c) = rng.uniform(T(-1), T(1)), scale(0, c) = rng.uniform(T(0.2), T(3));
    nn::Model<T> model{nn::NN<T>({7, 12, 3}, {Activation::Tanh, Activation::Softmax}, nn::Loss::CrossEntropy),
                       nn::Standardizer<T>(mean, scale),
                       {"a", "b", "c"}};
    export_case<T>(dir, std::string(sizeof(T) == 4 ? "f32" : "f64") + "_model_scaled", model, rng, list);
}

// Loads one file PyTorch wrote and compares, or checks its refusal; false on a mismatch.
template <class T>
bool load_case(const std::string& dir, const std::string& name, std::size_t rows, std::size_t in, std::size_t out,
               const std::string& expect) {
    const std::string path = dir + "/" + name + ".onnx";
    if (expect != "ok") {
        try {
            (void)nn::load_onnx<T>(path);
        } catch (const nn::Error& e) {
            const bool named = std::string(e.what()).find(expect) != std::string::npos;
            std::printf("%-28s refused%s: %s\n", name.c_str(), named ? "" : " WITHOUT the expected text", e.what());
            return named;
        }
        std::printf("%-28s loaded, but should have been refused (%s)\n", name.c_str(), expect.c_str());
        return false;
    }
    const nn::NN<T> net = nn::load_onnx<T>(path);
    if (net.inputs() != in || net.outputs() != out) {
        std::printf("%-28s loaded as %s\n", name.c_str(), nn::detail::join_arch(net.arch()).c_str());
        return false;
    }
    const std::vector<T> X = read_numbers<T>(dir + "/" + name + ".in", rows * in);
    const std::vector<T> want = read_numbers<T>(dir + "/" + name + ".out", rows * out);
    std::vector<T> got(out);
    double worst = 0;
    for (std::size_t i = 0; i < rows; ++i) {
        net.predict(std::span<const T>(&X[i * in], in), std::span<T>(got));
        for (std::size_t j = 0; j < out; ++j) {
            const double w = want[i * out + j], g = got[j];
            const double e = std::abs(g - w) / std::max(1.0, std::abs(w));
            if (!(e <= worst)) worst = e; // a NaN stays (std::max would pass over it)
        }
    }
    // Float rounding: both sides round each product and sum of a few dozen terms (and their
    // exp/tanh, each within a few ulps) in their own order, so they agree to a few ulps (4 seen)
    // of T; 16 leaves room for other kernels, and anything past that is a different network.
    const double tolerance = 16 * std::numeric_limits<T>::epsilon();
    std::printf("%-28s %s, max |nn - torch| / max(1, |torch|) = %.3g (tolerance %.3g)\n", name.c_str(),
                nn::detail::join_arch(net.arch()).c_str(), worst, tolerance);
    return worst <= tolerance;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: onnx_tool export|load DIR\n");
        return 2;
    }
    const std::string command = argv[1], dir = argv[2];
    try {
        if (command == "export") {
            std::filesystem::create_directories(dir);
            std::ofstream list(dir + "/nn.txt");
            export_all<float>(dir, list);
            export_all<double>(dir, list);
            return list ? 0 : 1;
        }
        std::ifstream list(dir + "/torch.txt");
        if (!list) throw nn::Error(dir + "/torch.txt: cannot be read");
        bool ok = true;
        int count = 0;
        for (std::string line; std::getline(list, line); ++count) {
            std::istringstream fields(line);
            std::string name, type, expect;
            std::size_t rows = 0, in = 0, out = 0;
            fields >> name >> type >> rows >> in >> out >> std::ws;
            std::getline(fields, expect);
            ok = (type == "float" ? load_case<float>(dir, name, rows, in, out, expect)
                                  : load_case<double>(dir, name, rows, in, out, expect)) &&
                 ok;
        }
        std::printf("%d files PyTorch wrote: %s\n", count, ok ? "all as expected" : "FAILED");
        return ok && count > 0 ? 0 : 1;
    } catch (const nn::Error& e) {
        std::fprintf(stderr, "onnx_tool: %s\n", e.what());
        return 1;
    }
}
