// The C++ side of the PyTorch interop test (tests/interop.sh):
//   interop export MODEL CASE DTYPE    a network saved by nn::save, and a CASE of inputs and nn's outputs
//   interop check MODEL CASE           nn::load of a file PyTorch wrote (no metadata) gives CASE's outputs
// A CASE is a safetensors file with "inputs" [n, in] and "outputs" [n, out].
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include <nn/nn.hpp>

namespace {

// Writes two matrices as the tensors "inputs" and "outputs" of a safetensors file.
template <class T>
void write_case(const std::string& path, const nn::Matrix<T>& X, const nn::Matrix<T>& Y) {
    const char* dtype = sizeof(T) == 8 ? "F64" : "F32";
    const std::size_t xb = X.size() * sizeof(T), yb = Y.size() * sizeof(T);
    std::string header = std::string("{\"inputs\":{\"dtype\":\"") + dtype + "\",\"shape\":[" +
                         std::to_string(X.rows()) + "," + std::to_string(X.cols()) + "],\"data_offsets\":[0," +
                         std::to_string(xb) + "]},\"outputs\":{\"dtype\":\"" + dtype + "\",\"shape\":[" +
                         std::to_string(Y.rows()) + "," + std::to_string(Y.cols()) + "],\"data_offsets\":[" +
                         std::to_string(xb) + "," + std::to_string(xb + yb) + "]}}";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string bytes(8, '\0');
    for (int k = 0; k < 8; ++k) bytes[std::size_t(k)] = char((header.size() >> (8 * k)) & 0xFF);
    bytes += header;
    bytes.append(reinterpret_cast<const char*>(X.data()), xb); // little-endian machine, as the format
    bytes.append(reinterpret_cast<const char*>(Y.data()), yb);
    nn::detail::write_file_atomically(path, bytes);
}

// Reads a CASE file written by the Python side.
nn::Matrix<double> read_tensor(const std::string& path, const char* name) {
    const std::string bytes = nn::detail::read_file(path);
    std::uint64_t n = 0;
    for (int k = 7; k >= 0; --k) n = (n << 8) | static_cast<unsigned char>(bytes.at(std::size_t(k)));
    const auto header = nn::detail::json::parse(std::string_view(bytes).substr(8, n), path.c_str());
    const auto* t = header.find(name);
    if (!t) throw nn::Error(path + ": no tensor " + name);
    const std::size_t rows = std::stoul(t->find("shape")->items()[0].text),
                      cols = std::stoul(t->find("shape")->items()[1].text);
    const std::size_t begin = std::stoul(t->find("data_offsets")->items()[0].text);
    const bool f64 = t->find("dtype")->text == "F64";
    nn::Matrix<double> m(rows, cols);
    const char* data = bytes.data() + 8 + n + begin;
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (f64)
            std::memcpy(&m.data()[i], data + 8 * i, 8);
        else {
            float f;
            std::memcpy(&f, data + 4 * i, 4);
            m.data()[i] = f;
        }
    }
    return m;
}

template <class T>
int export_network(const std::string& model, const std::string& cases) {
    // Per-layer activations: PyTorch builds each layer's from the file's metadata.
    nn::NN<T> net({6, 9, 7, 4}, {nn::Activation::LeakyReLU, nn::Activation::Tanh, nn::Activation::Softmax},
                  nn::Loss::CrossEntropy, {.seed = 5});
    nn::Rng rng(6);
    for (auto& b : net.biases(1)) b = rng.uniform(T(-0.5), T(0.5));
    nn::Matrix<T> X(20, 6);
    for (T& x : X) x = rng.uniform(T(-2), T(2));
    nn::save(net, model);
    write_case(cases, X, net.forward(X));
    return 0;
}

template <class T>
int check_network(const std::string& model, const std::string& cases) {
    // PyTorch's file has no metadata: the caller names the activations.
    const auto net = nn::load<T>(model, nn::Activation::Tanh, nn::Activation::Sigmoid);
    const nn::Matrix<double> X = read_tensor(cases, "inputs"), want = read_tensor(cases, "outputs");
    nn::Matrix<T> Xt(X.rows(), X.cols());
    for (std::size_t i = 0; i < X.size(); ++i) Xt.data()[i] = static_cast<T>(X.data()[i]);
    const nn::Matrix<T> got = net.forward(Xt);
    double worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i) { // a NaN stays (std::fmax would pass over it)
        const double e = std::fabs(double(got.data()[i]) - want.data()[i]);
        if (!(e <= worst)) worst = e;
    }
    const double tolerance = sizeof(T) == 8 ? 1e-12 : 1e-5;
    std::printf("nn vs torch: %zu samples, %s, largest difference %.3g\n", X.rows(),
                sizeof(T) == 8 ? "double" : "float", worst);
    return worst <= tolerance ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const std::string command = argc > 1 ? argv[1] : "";
        if (command == "export" && argc == 5)
            return std::strcmp(argv[4], "F64") == 0 ? export_network<double>(argv[2], argv[3])
                                                    : export_network<float>(argv[2], argv[3]);
        if (command == "check" && argc == 5)
            return std::strcmp(argv[4], "F64") == 0 ? check_network<double>(argv[2], argv[3])
                                                    : check_network<float>(argv[2], argv[3]);
        std::fprintf(stderr, "usage: %s export|check MODEL CASE F32|F64\n", argv[0]);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "interop: %s\n", e.what());
        return 1;
    }
}
