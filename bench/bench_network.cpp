// forward, backprop, one SGD step, learn, optimizer updates and finite_diff on the reference
// workloads, float and double, with FLOP/s and samples/s (parameters/s for the updates) counters.
// Each case checks its result once before timing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace {

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "benchmark self-check failed: %s\n", what);
        std::exit(1);
    }
}

template <class T>
void set_counters(benchmark::State& state, double flops, std::size_t samples) {
    state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["samples/s"] = benchmark::Counter(double(samples), benchmark::Counter::kIsIterationInvariantRate);
}

template <class T>
void forward(benchmark::State& state, const bench::Workload& w) {
    bench::Problem<T> p(w);
    const nn::Matrix<T> out = p.net.forward(p.X);
    require(out.rows() == w.batch && out.cols() == w.arch.back() && std::isfinite(out(0, 0)), "forward output");
    for (auto _ : state) benchmark::DoNotOptimize(p.net.forward(p.X));
    set_counters<T>(state, bench::forward_flops(w), w.batch);
}

// backprop's forward pass, then a(l)^T delta and delta W^T per layer: about 3x the forward's flops.
template <class T>
void backprop(benchmark::State& state, const bench::Workload& w) {
    bench::Problem<T> p(w);
    nn::Gradient<T> g;
    p.net.backprop(p.X, p.Y, g);
    nn::NN<T> stepped = p.net;
    stepped.learn(g, T(0.01));
    require(stepped.cost(p.X, p.Y) < p.net.cost(p.X, p.Y), "a small step against the gradient lowers the cost");
    for (auto _ : state) {
        p.net.backprop(p.X, p.Y, g);
        benchmark::DoNotOptimize(g.weights(0).data());
    }
    set_counters<T>(state, 3 * bench::forward_flops(w), w.batch);
}

// One training step: backprop over the batch, then learn.
template <class T>
void step(benchmark::State& state, const bench::Workload& w) {
    bench::Problem<T> p(w);
    nn::Gradient<T> g;
    const T before = p.net.cost(p.X, p.Y);
    p.net.backprop(p.X, p.Y, g);
    p.net.learn(g, T(0.01));
    require(p.net.cost(p.X, p.Y) < before, "a step lowers the cost");
    for (auto _ : state) {
        p.net.backprop(p.X, p.Y, g);
        p.net.learn(g, T(1e-6));
        benchmark::ClobberMemory();
    }
    set_counters<T>(state, 3 * bench::forward_flops(w), w.batch);
}

template <class T>
void learn(benchmark::State& state, const bench::Workload& w) {
    bench::Problem<T> p(w);
    const nn::Gradient<T> g = p.net.backprop(p.X, p.Y);
    for (auto _ : state) {
        p.net.learn(g, T(1e-9));
        benchmark::ClobberMemory();
    }
    set_counters<T>(state, 2.0 * double(p.net.parameter_count()), w.batch);
}

// One update by an optimizer from a fixed gradient, without backprop: SGD with Nesterov momentum,
// and Adam.
template <class T, class Optimizer>
void update(benchmark::State& state, const bench::Workload& w, Optimizer opt) {
    bench::Problem<T> p(w);
    const nn::Gradient<T> g = p.net.backprop(p.X, p.Y);
    const T before = p.net.cost(p.X, p.Y);
    opt.step(p.net, g);
    require(p.net.cost(p.X, p.Y) < before, "an optimizer step lowers the cost");
    for (auto _ : state) {
        opt.step(p.net, g);
        benchmark::ClobberMemory();
    }
    state.counters["parameters/s"] =
        benchmark::Counter(double(p.net.parameter_count()), benchmark::Counter::kIsIterationInvariantRate);
}

// One cost (a forward pass) per parameter: only for the small workloads.
template <class T>
void finite_diff(benchmark::State& state, const bench::Workload& w) {
    bench::Problem<T> p(w);
    require(p.net.finite_diff(p.X, p.Y, T(1e-3)).layers() == p.net.layers(), "finite_diff shape");
    for (auto _ : state) benchmark::DoNotOptimize(p.net.finite_diff(p.X, p.Y, T(1e-3)));
    set_counters<T>(state, double(p.net.parameter_count()) * bench::forward_flops(w), w.batch);
}

template <class T>
void register_all(const char* type) {
    for (const bench::Workload& w : bench::workloads) {
        const std::string suffix = std::string("/") + w.name + "/" + type;
        const bool big = std::string(w.name) == "wide";
        auto unit = [&](benchmark::internal::Benchmark* b) {
            b->Unit(big ? benchmark::kMillisecond : benchmark::kMicrosecond);
        };
        unit(benchmark::RegisterBenchmark(("forward" + suffix).c_str(), forward<T>, w));
        unit(benchmark::RegisterBenchmark(("backprop" + suffix).c_str(), backprop<T>, w));
        unit(benchmark::RegisterBenchmark(("step" + suffix).c_str(), step<T>, w));
        unit(benchmark::RegisterBenchmark(("learn" + suffix).c_str(), learn<T>, w));
        unit(benchmark::RegisterBenchmark(("sgd_nesterov" + suffix).c_str(), update<T, nn::SGD<T>>, w,
                                          nn::SGD<T>(T(1e-5), T(0.9), true)));
        unit(benchmark::RegisterBenchmark(("adam" + suffix).c_str(), update<T, nn::Adam<T>>, w, nn::Adam<T>(T(1e-5))));
        if (w.name == std::string("xor") || w.name == std::string("adder"))
            unit(benchmark::RegisterBenchmark(("finite_diff" + suffix).c_str(), finite_diff<T>, w));
    }
}

// How a float training step's cost grows: with the batch (32 to 4,096) at width 256, and with the
// width (64 to 4,096) at batch 256, on networks {width, width, width} (two layers, sigmoid). The
// FLOP/s counter shows where the step leaves the per-sample overheads behind and where it meets
// the GEMM's rate.
void register_sweep() {
    static std::vector<bench::Workload> sweep; // the names must outlive the registration
    for (std::size_t batch : {32u, 128u, 512u, 1024u, 4096u}) sweep.push_back({"batch", {256, 256, 256}, batch});
    for (std::size_t width : {64u, 256u, 1024u, 4096u}) sweep.push_back({"width", {width, width, width}, 256});
    for (const bench::Workload& w : sweep) {
        const std::string name = std::string("sweep/step/") + w.name + "/n:" + std::to_string(w.batch) +
                                 "/width:" + std::to_string(w.arch[0]) + "/float";
        benchmark::RegisterBenchmark(name.c_str(), step<float>, w)->Unit(benchmark::kMicrosecond);
    }
}

} // namespace

int main(int argc, char** argv) {
    std::printf("kernels: %s\n", nn::simd_path());
    register_all<float>("float");
    register_all<double>("double");
    register_sweep();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
