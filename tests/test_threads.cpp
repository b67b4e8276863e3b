// With OpenMP, the number of threads never changes a result: backprop and training steps give
// the same bits on 1, 2 and 3 threads. (Built only when CMake finds OpenMP.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <omp.h>

#include "helpers.hpp"
#include <nn/nn.hpp>

namespace {
// Widths whose rows are 4 KiB long (1024 floats, 512 doubles) make the GEMM pack A, shared by
// the threads between barriers; the others read it in place. A batch of 200 is three blocks of m.
template <class T>
std::vector<T> train_on(int threads, std::initializer_list<std::size_t> arch, std::size_t batch) {
    omp_set_num_threads(threads);
    nn::NN<T> net(arch, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    nn::Rng rng(3);
    net.init(rng);
    const std::size_t inputs = *arch.begin(), outputs = *(arch.end() - 1);
    nn::Matrix<T> X(batch, inputs), Y(batch, outputs);
    for (T& x : X) x = rng.uniform(T(-1), T(1));
    for (std::size_t i = 0; i < batch; ++i) Y(i, i % outputs) = 1;
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
    const auto one = train_on<T>(1, {300, 512, 257, 10}, 96);
    CHECK(train_on<T>(2, {300, 512, 257, 10}, 96) == one);
    CHECK(train_on<T>(3, {300, 512, 257, 10}, 96) == one);
    const std::size_t row = 4096 / sizeof(T);
    const auto packed = train_on<T>(1, {row, 200, 10}, 200);
    CHECK(train_on<T>(2, {row, 200, 10}, 200) == packed);
    CHECK(train_on<T>(3, {row, 200, 10}, 200) == packed);
}

// Training inside a user's own parallel region, with nested regions allowed: each outer thread's
// products run their own team (so its barriers and shared buffers are that team's), and every one
// gives the bits of one thread. Widths of 4 KiB pack A; k = 1024 makes blocks of 342 and 340.
TEST_CASE_TEMPLATE("training inside a user's parallel region gives the same bits", T, float, double) {
    const std::size_t row = 4096 / sizeof(T);
    const auto one = train_on<T>(1, {row, 200, 10}, 200);
    const int levels = omp_get_max_active_levels();
    omp_set_max_active_levels(2);
    int differ = 0;
#pragma omp parallel num_threads(2) reduction(+ : differ)
    differ += train_on<T>(2, {row, 200, 10}, 200) != one;
    omp_set_max_active_levels(levels);
    CHECK(differ == 0);
}
