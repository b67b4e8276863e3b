// End to end: gradient descent with backprop learns XOR and 5-bit addition, deterministically.
#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include "helpers.hpp"
#include <nn/nn.hpp>

namespace {

std::size_t count_correct(const nn::Matrix<float>& out, const nn::Matrix<float>& Y) {
    std::size_t correct = 0;
    for (std::size_t i = 0; i < Y.rows(); ++i) {
        bool ok = true;
        for (std::size_t j = 0; j < Y.cols(); ++j) ok = ok && ((out(i, j) > 0.5f) == (Y(i, j) > 0.5f));
        correct += ok;
    }
    return correct;
}

nn::NN<float> train_xor(std::uint64_t seed) {
    const nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    nn::NN<float> net({2, 3, 1});
    nn::Rng rng(seed);
    net.randomize(rng, -1.0f, 1.0f);
    nn::Gradient<float> g;
    for (int epoch = 0; epoch < 5000; ++epoch) {
        net.backprop(X, Y, g);
        net.learn(g, 2.0f);
    }
    return net;
}

} // namespace

TEST_CASE("XOR trains to 4/4 and the cost falls") {
    const nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    nn::NN<float> untrained({2, 3, 1});
    nn::Rng rng(1);
    untrained.randomize(rng, -1.0f, 1.0f);
    const nn::NN<float> net = train_xor(1);
    CHECK(count_correct(net.forward(X), Y) == 4);
    CHECK(net.cost(X, Y) < 0.01f);
    CHECK(net.cost(X, Y) < untrained.cost(X, Y) / 10);
}

TEST_CASE("the same seed trains bit-identical networks") {
    CHECK(test::parameters(train_xor(5)) == test::parameters(train_xor(5)));
    CHECK(test::parameters(train_xor(5)) != test::parameters(train_xor(6)));
}

TEST_CASE("the 5-bit adder trains to 1024/1024 with minibatches over row views") {
    constexpr std::size_t bits = 5, n = 1 << (2 * bits);
    nn::Rng rng(3);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    nn::Matrix<float> X(n, 2 * bits), Y(n, bits + 1);
    for (std::size_t r = 0; r < n; ++r) {
        const std::size_t a = order[r] % 32, b = order[r] / 32;
        for (std::size_t k = 0; k < bits; ++k) {
            X(r, k) = static_cast<float>((a >> k) & 1);
            X(r, bits + k) = static_cast<float>((b >> k) & 1);
        }
        for (std::size_t k = 0; k <= bits; ++k) Y(r, k) = static_cast<float>(((a + b) >> k) & 1);
    }
    nn::NN<float> net({2 * bits, 20, bits + 1});
    net.randomize(rng, -1.0f, 1.0f);
    nn::Gradient<float> g;
    int epoch = 0;
    for (; epoch < 1000 && count_correct(net.forward(X), Y) < n; ++epoch)
        for (std::size_t first = 0; first < n; first += 32) {
            net.backprop(X.rows(first, 32), Y.rows(first, 32), g);
            net.learn(g, 1.0f);
        }
    MESSAGE("adder: 1024/1024 after " << epoch << " epochs");
    CHECK(count_correct(net.forward(X), Y) == n);
}
