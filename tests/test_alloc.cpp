// After the first step, a training step allocates nothing: every operator new is counted.
// (A program of its own, since replacing the global operator new affects the whole program.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

#include <nn/nn.hpp>

// The operators below pair malloc with free; GCC at -O1 (the sanitizer stage) inlines a sized
// operator delete into doctest's code and warns that free does not match operator new, which it
// takes for the library's.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> allocations{0};

void* counted(std::size_t size, std::size_t alignment) {
    ++allocations;
    void* p = alignment <= alignof(std::max_align_t)
                  ? std::malloc(size ? size : 1)
                  : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    if (!p) throw std::bad_alloc();
    return p;
}
} // namespace

void* operator new(std::size_t size) { return counted(size, 0); }
void* operator new[](std::size_t size) { return counted(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) { return counted(size, std::size_t(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted(size, std::size_t(a)); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept { // nn::Matrix's
    try {
        return counted(size, std::size_t(a));
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {
// Allocations made by `steps` training steps after a first one, for one architecture and batch.
template <class T, class Step>
long allocations_after_first_step(std::vector<std::size_t> arch, std::size_t batch, Step step) {
    nn::NN<T> net(arch, nn::Activation::Tanh, nn::Activation::Sigmoid);
    nn::Rng rng(1);
    net.init(rng);
    nn::Matrix<T> X(batch, arch.front()), Y(batch, arch.back());
    for (T& x : X) x = rng.uniform(T(-1), T(1));
    for (T& y : Y) y = rng.uniform(T(0), T(1));
    nn::Gradient<T> g;
    step(net, X, Y, g); // the first step sizes everything
    const long before = allocations.load();
    for (int i = 0; i < 5; ++i) step(net, X, Y, g);
    return allocations.load() - before;
}
} // namespace

TEST_CASE_TEMPLATE("a steady-state training step allocates nothing", T, float, double) {
    for (const auto& shape : std::vector<std::pair<std::vector<std::size_t>, std::size_t>>{
             {{2, 2, 1}, 4}, {{10, 20, 6}, 1024}, {{64, 96, 48, 10}, 100}, {{300, 200, 3100}, 16}}) {
        const auto& [arch, batch] = shape;
        CAPTURE(shape.first.front());
        CHECK(allocations_after_first_step<T>(arch, batch, [](auto& net, auto& X, auto& Y, auto& g) {
                  net.backprop(X, Y, g);
                  net.learn(g, T(0.01));
              }) == 0);
        nn::SGD<T> sgd(T(0.01), T(0.9), true);
        CHECK(allocations_after_first_step<T>(arch, batch, [&](auto& net, auto& X, auto& Y, auto& g) {
                  net.backprop(X, Y, g);
                  sgd.step(net, g);
              }) == 0);
        nn::Adam<T> adam;
        CHECK(allocations_after_first_step<T>(arch, batch, [&](auto& net, auto& X, auto& Y, auto& g) {
                  net.backprop(X, Y, g);
                  adam.step(net, g);
              }) == 0);
    }
}

TEST_CASE_TEMPLATE("repeated inference in a Workspace allocates nothing", T, float, double) {
    const nn::NN<T> net({64, 96, 48, 10}, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    nn::Matrix<T> X(100, 64), Y(100, 10);
    nn::Rng rng(2);
    for (T& x : X) x = rng.uniform(T(-1), T(1));
    for (std::size_t i = 0; i < 100; ++i) Y(i, i % 10) = 1;
    nn::Workspace<T> ws;
    (void)net.forward(X, ws); // the first call sizes the workspace
    (void)net.cost(X, Y, ws);
    const long before = allocations.load();
    T sum = 0;
    for (int i = 0; i < 5; ++i) {
        sum += net.forward(X.rows(0, 50 + 10 * std::size_t(i)), ws)(0, 0); // smaller batches fit too
        sum += net.cost(X, Y, ws);
    }
    CHECK(allocations.load() - before == 0);
    CHECK(std::isfinite(sum));
}

TEST_CASE_TEMPLATE("predicting one sample allocates nothing after a thread's first call", T, float, double) {
    using A = nn::Activation;
    for (const nn::NN<T>& net : {nn::NN<T>({2, 3, 3, 1}), nn::NN<T>({8, 16, 16, 1}, A::Tanh, A::Linear),
                                 nn::NN<T>({32, 64, 64, 8}, A::ReLU, A::Linear)}) {
        std::vector<T> x(net.inputs(), T(0.5)), y(net.outputs());
        net.predict(x, y); // the first call sizes this thread's scratch
        (void)net.predict_class(x);
        const long before = allocations.load();
        std::size_t classes = 0;
        for (int i = 0; i < 5; ++i) {
            net.predict(x, y);
            classes += net.predict_class(x);
        }
        const long made = allocations.load() - before;
        CAPTURE(net.inputs()); // (doctest's CAPTURE may allocate)
        CHECK(made == 0);
        CHECK(std::isfinite(y[0]));
        CHECK(classes < 5 * net.outputs() + 5);
    }
}

TEST_CASE("a StaticNN allocates nothing, built from a network or predicting") {
    const nn::NN<float> net({8, 16, 16, 1}, nn::Activation::Tanh, nn::Activation::Linear);
    const long before = allocations.load();
    const nn::StaticNN<float, 8, 16, 16, 1> fixed(net);
    float sum = 0;
    for (int i = 0; i < 5; ++i) sum += fixed.forward({1, 2, 3, 4, 5, 6, 7, float(i)})[0];
    CHECK(allocations.load() - before == 0);
    CHECK(std::isfinite(sum));
}

TEST_CASE("the counter counts") {
    const long before = allocations.load();
    nn::Matrix<float> m(3, 3);
    CHECK(allocations.load() == before + 1);
}
