// Const means thread-safe: threads that share one const network get, from every const function,
// the bits that serial calls give. (A program of its own, with threads; CI runs it under
// ThreadSanitizer too.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <span>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include <nn/nn.hpp>

namespace {

// What one call of each const function gives for one batch, flattened.
template <class T>
std::vector<T> results(const nn::NN<T>& net, const nn::Matrix<T>& X, const nn::Matrix<T>& Y, nn::Workspace<T>& ws,
                       nn::Gradient<T>& g) {
    std::vector<T> out;
    const nn::Matrix<T> a = net.forward(X);
    out.insert(out.end(), a.begin(), a.end());
    const nn::MatrixView<const T> b = net.forward(X, ws);
    out.insert(out.end(), b.begin(), b.end());
    out.push_back(net.cost(X, Y));
    out.push_back(net.cost(X, Y, ws));
    out.push_back(net.backprop(X, Y, g));
    const auto grad = test::flatten(g);
    for (double d : grad) out.push_back(static_cast<T>(d));
    const auto fresh = test::flatten(net.backprop(X, Y));
    for (double d : fresh) out.push_back(static_cast<T>(d));
    for (std::size_t i = 0; i < X.rows(); ++i) { // one sample at a time, in each thread's own scratch
        const std::span<const T> row(X.data() + i * X.cols(), X.cols());
        const std::vector<T> y = net.predict(row);
        out.insert(out.end(), y.begin(), y.end());
        out.push_back(static_cast<T>(net.predict_class(row)));
    }
    return out;
}

} // namespace

TEST_CASE_TEMPLATE("threads sharing one const network get the serial results, bit for bit", T, float, double) {
    const nn::NN<T> net({7, 33, 17, 3}, {nn::Activation::Tanh, nn::Activation::ReLU, nn::Activation::Softmax},
                        nn::Loss::CrossEntropy);
    nn::Rng rng(2);
    std::vector<nn::Matrix<T>> Xs, Ys;
    for (std::size_t n = 1; n <= 33; ++n) { // batch sizes 1-33: every thread resizes its scratch all the time
        Xs.push_back(test::random_matrix<T>(rng, n, 7));
        nn::Matrix<T> Y(n, 3);
        for (std::size_t i = 0; i < n; ++i) Y(i, rng.below(3)) = T(1);
        Ys.push_back(Y);
    }
    std::vector<std::vector<T>> serial;
    {
        nn::Workspace<T> ws;
        nn::Gradient<T> g;
        for (std::size_t k = 0; k < Xs.size(); ++k) serial.push_back(results(net, Xs[k], Ys[k], ws, g));
    }
    constexpr int threads = 4, rounds = 6;
    std::atomic<int> differ{0}, compared{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            nn::Workspace<T> ws; // one workspace and gradient per thread; the network is shared
            nn::Gradient<T> g;
            for (int r = 0; r < rounds; ++r)
                for (std::size_t j = 0; j < Xs.size(); ++j) {
                    const std::size_t k = (j * 7 + std::size_t(t) * 5 + std::size_t(r)) % Xs.size();
                    if (results(net, Xs[k], Ys[k], ws, g) != serial[k]) ++differ;
                    ++compared;
                }
        });
    for (auto& th : pool) th.join();
    CHECK(compared.load() == threads * rounds * 33);
    CHECK(differ.load() == 0);
}
