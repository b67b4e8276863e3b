// One-sample latency and batch throughput of the ways to run a trained network: NN::predict,
// nn::StaticNN (compile-time widths), the network exported as C (nn::export_c, compiled as C99)
// and, as the peer, the same network written by hand with fixed-size Eigen matrices (dynamic-size
// for the large shape, whose fixed-size matrices Eigen refuses). Shapes: 2-3-3-1 sigmoid,
// 8-16-16-1 tanh/linear, 32-64-64-8 ReLU/linear (issue 11's), and 784-256-128-10 ReLU/linear.
// latency/*: one sample per iteration, the input changed every time (a dependent chain: the next
// input is the last output's sum, so calls cannot overlap). throughput/*: 1,024 independent
// samples per iteration. Every implementation is checked against NN::forward before timing.
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "inference_nets.hpp"

extern "C" {
void c_s2_3_3_1(const float* in, float* out);
void c_s8_16_16_1(const float* in, float* out);
void c_s32_64_64_8(const float* in, float* out);
void c_s784_256_128_10(const float* in, float* out);
}

namespace {

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "benchmark self-check failed: %s\n", what);
        std::exit(1);
    }
}

template <int n>
using Vec = Eigen::Matrix<float, n, 1>;

// act(z) on an Eigen vector: the expressions a user of Eigen writes.
template <class V>
V eigen_activate(nn::Activation act, const V& z) {
    switch (act) {
    case nn::Activation::Sigmoid: return z.array().logistic().matrix();
    case nn::Activation::Tanh: return z.array().tanh().matrix();
    case nn::Activation::ReLU: return z.cwiseMax(0.0f);
    default: return z;
    }
}

// A three-layer network of fixed-size (or, with n = Eigen::Dynamic, dynamic-size) Eigen matrices,
// weights out x in as Eigen (and PyTorch) hold them.
template <int In, int H1, int H2, int Out>
struct EigenNet {
    Eigen::Matrix<float, H1, In> W1;
    Eigen::Matrix<float, H2, H1> W2;
    Eigen::Matrix<float, Out, H2> W3;
    Vec<H1> b1;
    Vec<H2> b2;
    Vec<Out> b3;
    nn::Activation hidden, output;

    explicit EigenNet(const nn::NN<float>& net) : hidden(net.activation(0)), output(net.output()) {
        const auto take = [&](auto& W, auto& b, std::size_t l) {
            const auto& w = net.weights(l);
            W.resize(Eigen::Index(w.cols()), Eigen::Index(w.rows()));
            b.resize(Eigen::Index(w.cols()));
            for (std::size_t i = 0; i < w.rows(); ++i)
                for (std::size_t o = 0; o < w.cols(); ++o) W(Eigen::Index(o), Eigen::Index(i)) = w(i, o);
            for (std::size_t o = 0; o < w.cols(); ++o) b(Eigen::Index(o)) = net.biases(l)(0, o);
        };
        take(W1, b1, 0);
        take(W2, b2, 1);
        take(W3, b3, 2);
    }
    Vec<Out> forward(const Vec<In>& x) const {
        const Vec<H1> a1 = eigen_activate(hidden, Vec<H1>(W1 * x + b1));
        const Vec<H2> a2 = eigen_activate(hidden, Vec<H2>(W2 * a1 + b2));
        return eigen_activate(output, Vec<Out>(W3 * a2 + b3));
    }
};

using CFunction = void (*)(const float*, float*);

// Eigen's size for n: fixed, or dynamic for the large network (Eigen refuses fixed-size objects
// over 128 KiB).
constexpr int eigen_size(bool fixed, std::size_t n) { return fixed ? int(n) : Eigen::Dynamic; }

template <std::size_t In, std::size_t H1, std::size_t H2, std::size_t Out>
struct Case {
    static constexpr bool fixed = In * H1 < 16384;
    static constexpr int in = eigen_size(fixed, In);
    using Peer = EigenNet<in, eigen_size(fixed, H1), eigen_size(fixed, H2), eigen_size(fixed, Out)>;
    using Static = nn::StaticNN<float, In, H1, H2, Out>;

    nn::NN<float> net;
    std::unique_ptr<Static> fixed_net; // on the heap only because the large one would not fit a stack
    std::unique_ptr<Peer> eigen;
    CFunction c;
    std::vector<float> inputs; // 1,024 samples

    Case(std::size_t shape, CFunction c_function)
        : net(bench::inference_net(bench::inference_shapes()[shape])), fixed_net(std::make_unique<Static>(net)),
          eigen(std::make_unique<Peer>(net)), c(c_function), inputs(1024 * In) {
        nn::Rng rng(3);
        for (float& x : inputs) x = rng.uniform(-1.0f, 1.0f);
        // Every implementation gives forward's outputs (to float rounding) on the first samples.
        const nn::Matrix<float> expected = net.forward(nn::MatrixView<const float>(inputs.data(), 16, In));
        for (std::size_t i = 0; i < 16; ++i) {
            const float* x = inputs.data() + i * In;
            std::array<float, Out> a, b, d;
            std::array<float, In> xs;
            std::copy(x, x + In, xs.begin());
            net.predict(std::span<const float>(x, In), a);
            fixed_net->forward(x, b.data());
            c(x, d.data());
            const auto e = eigen->forward(Eigen::Map<const Vec<in>>(x, Eigen::Index(In)));
            for (std::size_t o = 0; o < Out; ++o) {
                const float want = expected(i, o), tol = 1e-4f * (1 + std::abs(want));
                require(a[o] == net.forward(nn::MatrixView<const float>(x, 1, In))(0, o),
                        "predict is forward on one row, bit for bit");
                require(std::abs(a[o] - want) <= tol, "predict matches forward on the batch");
                require(std::abs(b[o] - want) <= tol, "StaticNN matches forward");
                require(std::abs(d[o] - want) <= tol, "the exported C matches forward");
                require(std::abs(e(Eigen::Index(o)) - want) <= tol, "the Eigen network matches forward");
            }
        }
    }
};

enum class Impl { Predict, Static, C, Eigen };

// The next sample: the stored one, nudged by the last output so that calls form a chain.
template <std::size_t In>
void next_input(const float* stored, float last, float* x) {
    for (std::size_t j = 0; j < In; ++j) x[j] = stored[j];
    x[0] += last * 1e-30f;
}

template <std::size_t In, std::size_t H1, std::size_t H2, std::size_t Out>
void run(benchmark::State& state, std::size_t shape, CFunction c, Impl impl, bool latency) {
    static const Case<In, H1, H2, Out> k(shape, c);
    using Cs = Case<In, H1, H2, Out>;
    std::array<float, In> x{};
    std::array<float, Out> y{};
    auto one = [&](const float* input) {
        switch (impl) {
        case Impl::Predict: k.net.predict(std::span<const float>(input, In), y); break;
        case Impl::Static: k.fixed_net->forward(input, y.data()); break;
        case Impl::C: k.c(input, y.data()); break;
        case Impl::Eigen: {
            const auto e = k.eigen->forward(Eigen::Map<const Vec<Cs::in>>(input, Eigen::Index(In)));
            for (std::size_t o = 0; o < Out; ++o) y[o] = e(Eigen::Index(o));
            break;
        }
        }
    };
    std::size_t at = 0;
    for (auto _ : state) {
        if (latency) {
            next_input<In>(k.inputs.data() + at * In, y[0], x.data());
            one(x.data());
            at = (at + 1) % 1024;
        } else {
            for (std::size_t i = 0; i < 1024; ++i) {
                one(k.inputs.data() + i * In);
                benchmark::DoNotOptimize(y.data());
            }
        }
        benchmark::ClobberMemory();
    }
    state.counters["samples/s"] =
        benchmark::Counter(latency ? 1.0 : 1024.0, benchmark::Counter::kIsIterationInvariantRate);
}

template <std::size_t In, std::size_t H1, std::size_t H2, std::size_t Out>
void register_shape(std::size_t shape, CFunction c) {
    const std::string name = bench::inference_shapes()[shape].name;
    const std::pair<Impl, const char*> impls[] = {
        {Impl::Predict, "predict"}, {Impl::Static, "static"}, {Impl::C, "c"}, {Impl::Eigen, "eigen"}};
    for (bool latency : {true, false})
        for (const auto& entry : impls) { // (not a structured binding: Clang 14 cannot capture one)
            const Impl impl = entry.first;
            benchmark::RegisterBenchmark(
                ((latency ? "latency/" : "throughput/") + name + "/" + entry.second).c_str(),
                [=](benchmark::State& state) { run<In, H1, H2, Out>(state, shape, c, impl, latency); });
        }
}

} // namespace

int main(int argc, char** argv) {
    std::printf("kernels %s\n", nn::simd_path());
    register_shape<2, 3, 3, 1>(0, c_s2_3_3_1);
    register_shape<8, 16, 16, 1>(1, c_s8_16_16_1);
    register_shape<32, 64, 64, 8>(2, c_s32_64_64_8);
    register_shape<784, 256, 128, 10>(3, c_s784_256_128_10);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
