// The three matrix-product forms of nn/detail/kernels.hpp, fast against naive, by shape, with
// FLOP/s counters. Each case checks the fast result against the naive one before timing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <nn/detail/kernels.hpp>
#include <nn/rng.hpp>

namespace {

enum class Form { AB, AtB, ABt };
enum class Impl { Fast, Naive };

template <class T, class K>
void run(K k, Form form, nn::MatrixView<const T> A, nn::MatrixView<const T> B, nn::MatrixView<T> C) {
    switch (form) {
    case Form::AB: k.matmul(A, B, C); break;
    case Form::AtB: k.matmul_at_b(A, B, C); break;
    case Form::ABt: k.matmul_a_bt(A, B, C); break;
    }
}
template <class T>
void run(Form form, Impl impl, nn::MatrixView<const T> A, nn::MatrixView<const T> B, nn::MatrixView<T> C) {
    if (impl == Impl::Naive) return run<T>(nn::detail::naive::Kernels<T>{}, form, A, B, C);
    nn::detail::with_kernels<T>([&](auto k) { run<T>(k, form, A, B, C); });
}

// C is m x n and the sums run over k, whatever the form.
template <class T>
void matmul(benchmark::State& state, Form form, Impl impl) {
    const auto m = static_cast<std::size_t>(state.range(0)), k = static_cast<std::size_t>(state.range(1)),
               n = static_cast<std::size_t>(state.range(2));
    nn::Rng rng(1);
    nn::Matrix<T> A = form == Form::AtB ? nn::Matrix<T>(k, m) : nn::Matrix<T>(m, k);
    nn::Matrix<T> B = form == Form::ABt ? nn::Matrix<T>(n, k) : nn::Matrix<T>(k, n);
    for (T& x : A) x = rng.uniform(T(-1), T(1));
    for (T& x : B) x = rng.uniform(T(-1), T(1));
    nn::Matrix<T> C(m, n), reference(m, n);
    run<T>(form, impl, A, B, C);
    run<T>(form, Impl::Naive, A, B, reference);
    for (std::size_t i = 0; i < C.size(); ++i)
        if (std::abs(C.data()[i] - reference.data()[i]) > T(2) * T(k) * T(k) * std::numeric_limits<T>::epsilon()) {
            std::fprintf(stderr, "benchmark self-check failed: kernel differs from the naive reference\n");
            std::exit(1);
        }
    for (auto _ : state) {
        run<T>(form, impl, A, B, C);
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    state.counters["FLOP/s"] =
        benchmark::Counter(2.0 * double(m) * double(k) * double(n), benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
    // {m, k, n}: the workloads' products (batch x in . in x out and their transposes), squares,
    // and thin or odd shapes.
    for (auto s : {std::vector<std::int64_t>{4, 2, 2},
                   {1024, 10, 20},
                   {1024, 20, 6},
                   {128, 784, 256},
                   {128, 256, 128},
                   {784, 128, 256},
                   {256, 1024, 1024},
                   {1024, 256, 1024},
                   {64, 64, 64},
                   {17, 129, 31},
                   {1, 512, 512},
                   {512, 512, 1}})
        b->Args(s);
}

template <class T>
void register_form(const char* form_name, Form form, const char* type) {
    for (Impl impl : {Impl::Fast, Impl::Naive}) {
        const std::string name = std::string(form_name) + "/" + (impl == Impl::Fast ? "fast" : "naive") + "/" + type;
        benchmark::RegisterBenchmark(name.c_str(), matmul<T>, form, impl)->Apply(shapes)->ArgNames({"m", "k", "n"});
    }
}

// The GEMM's micro-kernel alone (the build's own instruction set: -march=native by default), on
// one packed panel of A and one of B that stay in L1, accumulating into one tile of C: the rate
// the whole GEMM would reach if its memory traffic cost nothing. fma_peak is the core's ceiling.
template <class T>
void micro_kernel(benchmark::State& state) {
    using Shape = nn::detail::baseline::GemmShape<T>;
    constexpr std::size_t MR = Shape::MR, NR = Shape::NR, kc = Shape::KC;
    nn::Matrix<T> pa(kc, MR), pb(kc, NR), c(MR, NR); // aligned as the packing buffers are
    nn::Rng rng(1);
    for (T& x : pa) x = rng.uniform(T(-1), T(1));
    for (T& x : pb) x = rng.uniform(T(-1), T(1));
    for (auto _ : state) {
        nn::detail::baseline::gemm_micro_kernel<T, false>(kc, pa.data(), 0, 0, pb.data(), c.data(), NR, 1, MR, NR,
                                                          true);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * MR * NR * kc, benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace

int main(int argc, char** argv) {
    std::printf("kernels: %s\n", nn::simd_path());
    for (auto [name, form] : {std::pair{"A*B", Form::AB}, {"At*B", Form::AtB}, {"A*Bt", Form::ABt}}) {
        register_form<float>(name, form, "float");
        register_form<double>(name, form, "double");
    }
    benchmark::RegisterBenchmark("micro_kernel/float", micro_kernel<float>);
    benchmark::RegisterBenchmark("micro_kernel/double", micro_kernel<double>);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
