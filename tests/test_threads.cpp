// With OpenMP, the number of threads never changes a result: backprop and training steps give
// the same bits on 1, 2 and 3 threads. (Built only when CMake finds OpenMP.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <omp.h>

#include "helpers.hpp"
#include <nn/nn.hpp>

namespace {
template <class T>
std::vector<T> train_on(int threads) {
    omp_set_num_threads(threads);
    nn::NN<T> net({300, 512, 257, 10}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    nn::Rng rng(3);
    net.init(rng);
    nn::Matrix<T> X(96, 300), Y(96, 10);
    for (T& x : X) x = rng.uniform(T(-1), T(1));
    for (std::size_t i = 0; i < 96; ++i) Y(i, i % 10) = 1;
    nn::Gradient<T> g;
    nn::Adam<T> adam(T(1e-3));
    for (int step = 0; step < 3; ++step) {
        net.backprop(X, Y, g);
        adam.step(net, g);
    }
    auto out = test::parameters(net);
    const auto grads = test::flatten(net.backprop(X, Y));
    out.insert(out.end(), grads.begin(), grads.end());
    return out;
}
} // namespace

TEST_CASE_TEMPLATE("the thread count does not change a single bit", T, float, double) {
    REQUIRE(omp_get_max_threads() >= 1);
    const auto one = train_on<T>(1);
    CHECK(train_on<T>(2) == one);
    CHECK(train_on<T>(3) == one);
}
