// The core's single-precision multiply-add peak: independent chains of fused multiply-adds on the
// widest vectors the build targets (build with -march=native), as many chains as hide the FMA
// latency on any current core. Prints the median GFLOP/s of 9 runs, the ceiling every GEMM rate in
// bench/compare/run.sh is measured against.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#if defined(__AVX512F__)
constexpr int bytes = 64;
#elif defined(__AVX__)
constexpr int bytes = 32;
#else
constexpr int bytes = 16;
#endif
typedef float Vector __attribute__((vector_size(bytes)));
constexpr int lanes = bytes / 4, chains = 12; // 12 x 4-cycle latency covers 2-3 FMA pipes; 14 registers

// chains x iterations multiply-adds a = a * x + y, each chain depending only on itself.
__attribute__((noinline)) double seconds(long iterations) {
    Vector a[chains];
    for (int c = 0; c < chains; ++c) a[c] = Vector{} + 1.0f + 0.001f * float(c);
    const Vector x = Vector{} + 0.999999f, y = Vector{} + 1e-7f;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < chains; ++c) a[c] = a[c] * x + y;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    float sum = 0;
    for (int c = 0; c < chains; ++c) sum += a[c][0];
    if (sum == 0) std::printf("impossible\n"); // keeps the chains alive
    return s;
}

int main() {
    const long iterations = 20000000;
    std::vector<double> rates;
    for (int run = 0; run < 9; ++run)
        rates.push_back(2.0 * lanes * chains * double(iterations) / seconds(iterations) / 1e9);
    std::sort(rates.begin(), rates.end());
    std::printf("fma_peak %.1f GFLOP/s (float, %d-byte vectors, median of 9)\n", rates[4], bytes);
}
