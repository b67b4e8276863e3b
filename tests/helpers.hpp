// Helpers shared by the test files.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <nn/nn.hpp>

namespace test {

template <class T>
nn::Matrix<T> random_matrix(nn::Rng& rng, std::size_t rows, std::size_t cols, T low = T(-1), T high = T(1)) {
    nn::Matrix<T> m(rows, cols);
    for (T& x : m) x = rng.uniform(low, high);
    return m;
}

/// Every parameter's derivative in the flat order, in double.
template <class T>
std::vector<double> flatten(const nn::Gradient<T>& g) {
    return {g.values().begin(), g.values().end()};
}

/// The largest |a - b| / max(|a|, |b|, floor) over the elements: a relative error that does not
/// blow up where both values are near zero, where only an absolute error of `floor` is meaningful.
inline double max_relative_error(const std::vector<double>& a, const std::vector<double>& b, double floor) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double scale = std::max({std::abs(a[i]), std::abs(b[i]), floor});
        const double e = std::abs(a[i] - b[i]) / scale;
        if (!(e <= worst)) worst = e; // a NaN stays (std::max would pass over it)
    }
    return a.size() == b.size() ? worst : INFINITY;
}

inline double max_abs(const std::vector<double>& a) {
    double m = 0;
    for (double x : a) m = std::max(m, std::abs(x));
    return m;
}

/// The same network in another precision (parameters converted one by one).
template <class To, class From>
nn::NN<To> convert(const nn::NN<From>& net) {
    nn::NN<To> out(net.arch(), net.activations(), net.loss(), {.scheme = nn::Init::Zero});
    std::transform(net.parameters().begin(), net.parameters().end(), out.parameters().begin(),
                   [](From p) { return static_cast<To>(p); });
    return out;
}

template <class To, class From>
nn::Matrix<To> convert(const nn::Matrix<From>& m) {
    nn::Matrix<To> out(m.rows(), m.cols());
    for (std::size_t i = 0; i < m.size(); ++i) out.data()[i] = static_cast<To>(m.data()[i]);
    return out;
}

/// A copy of every parameter of the network, in the flat order.
template <class T>
std::vector<T> parameters(const nn::NN<T>& net) {
    return {net.parameters().begin(), net.parameters().end()};
}

/// The networks given, with random parameters from one Rng of this seed (biases too, which init
/// leaves at 0), network after network.
template <class T>
std::vector<nn::NN<T>> randomized(std::vector<nn::NN<T>> nets, std::uint64_t seed) {
    nn::Rng rng(seed);
    for (auto& net : nets) {
        net.init(rng);
        for (std::size_t l = 0; l < net.layers(); ++l)
            for (T& b : net.biases(l)) b = rng.uniform(T(-0.5), T(0.5)); // biases that matter
    }
    return nets;
}

/// The networks of the deployment tests: the three shapes of issue 11 and a softmax classifier,
/// with random parameters (biases too).
template <class T>
std::vector<nn::NN<T>> deploy_networks() {
    using A = nn::Activation;
    return randomized<T>({nn::NN<T>({2, 3, 3, 1}), nn::NN<T>({8, 16, 16, 1}, A::Tanh, A::Linear),
                          nn::NN<T>({32, 64, 64, 8}, A::ReLU, A::Linear),
                          nn::NN<T>({5, 40, 3}, {A::LeakyReLU, A::Softmax}, nn::Loss::CrossEntropy)},
                         4);
}

/// How far another implementation's outputs (`other`, n x outputs, row by row) are from the
/// network's forward pass on X and from the exact outputs (the network in double; for a double
/// network, forward itself), and forward from the exact ones: the largest relative difference,
/// relative to the output or, where the output is smaller, to its column's root mean square (a
/// sum that cancels to near 0 keeps the rounding of its terms, which is relative to them).
struct Differences {
    double other_forward = 0, other_exact = 0, forward_exact = 0;
};

template <class T>
Differences differences(const nn::NN<T>& net, const nn::Matrix<T>& X, const std::vector<double>& other) {
    const nn::Matrix<T> forward = net.forward(X);
    const nn::Matrix<double> exact = convert<double>(net).forward(convert<double>(X));
    std::vector<double> rms(exact.cols());
    for (std::size_t i = 0; i < exact.size(); ++i)
        rms[i % exact.cols()] += exact.data()[i] * exact.data()[i] / double(exact.rows());
    const auto relative = [&](double a, double b, std::size_t i) {
        return std::abs(a - b) / std::max(std::abs(b), std::sqrt(rms[i % exact.cols()]));
    };
    Differences worst;
    for (std::size_t i = 0; i < exact.size(); ++i) {
        const double c = other.at(i), f = double(forward.data()[i]), e = exact.data()[i];
        worst.other_forward = std::max(worst.other_forward, relative(c, f, i));
        worst.other_exact = std::max(worst.other_exact, relative(c, e, i));
        worst.forward_exact = std::max(worst.forward_exact, relative(f, e, i));
    }
    return worst;
}

/// Another implementation of the network is as good as forward: within `tolerance` of forward and
/// of the exact outputs or, where forward itself is further than that from them (float rounding in
/// wide layers), as close to them as forward.
inline bool as_good_as_forward(const Differences& d, double tolerance) {
    return d.other_exact <= std::max(tolerance, 1.5 * d.forward_exact) &&
           d.other_forward <= std::max(tolerance, 2 * d.forward_exact);
}

/// An optimizer that requests a stop after its `steps`-th step: a run stopped between two batches
/// anywhere, deterministically.
template <class Optimizer>
struct StopAfter : Optimizer {
    StopAfter(Optimizer o, nn::StopFlag& f, std::size_t steps) : Optimizer(std::move(o)), flag(&f), left(steps) {}
    template <class... Args>
    requires requires(Optimizer& o, Args&&... args) { o.step(std::forward<Args>(args)...); }
    void step(Args&&... args) {
        Optimizer::step(std::forward<Args>(args)...);
        if (left > 0 && --left == 0) flag->request();
    }
    nn::StopFlag* flag;
    std::size_t left;
};

// A fresh folder for one test, removed at the end.
struct Folder {
    Folder()
        : path(std::filesystem::temp_directory_path() /
               ("nn_test_" + std::to_string(::getpid()) + "_" + std::to_string(count()++))) {
        std::filesystem::create_directories(path);
    }
    ~Folder() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    static int& count() {
        static int n = 0;
        return n;
    }
    std::filesystem::path path;
};

// A file in the build folder holding `text`, removed when the test ends. The pid keeps the names of
// test processes that ctest runs side by side apart.
struct TempFile {
    explicit TempFile(const std::string& text)
        : path("nn_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++) + ".txt") {
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::string path;
};

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

} // namespace test
