// nn: median microseconds per training step (backprop over the batch + learn) on each workload.
// Float, sigmoid everywhere, the MSE cost; run.sh builds it with -march=native and with plain -O2.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include <nn/nn.hpp>

extern "C" {
#include "workloads.h"
}

int main(int argc, char** argv) {
    const char* only = argc > 1 ? argv[1] : nullptr;
    std::printf("kernels %s\n", nn::simd_path()); // run.sh reads it as one line: name, then value
    using clock = std::chrono::steady_clock;
    for (const compare_workload& c : compare_workloads) {
        if (only && std::strcmp(only, c.name) != 0) continue;
        std::vector<std::size_t> arch(c.arch, c.arch + c.layers);
        nn::NN<float> net(arch);
        nn::Rng rng(1);
        net.randomize(rng, -0.1f, 0.1f);
        nn::Matrix<float> X(c.batch, arch.front()), Y(c.batch, arch.back());
        for (float& x : X) x = rng.uniform(0.0f, 1.0f);
        for (float& y : Y) y = rng.uniform(0.0f, 1.0f);
        nn::Gradient<float> g;
        auto step = [&] {
            net.backprop(X, Y, g);
            net.learn(g, 0.01f);
        };
        step(); // warm up: sizes the workspace and the packing buffers
        const auto t0 = clock::now();
        step();
        const double one = std::chrono::duration<double>(clock::now() - t0).count();
        const long steps = one > 0.02 ? 1 : long(0.02 / std::max(one, 1e-9)) + 1;
        std::vector<double> times;
        for (int r = 0; r < c.repetitions; ++r) {
            const auto start = clock::now();
            for (long s = 0; s < steps; ++s) step();
            times.push_back(std::chrono::duration<double>(clock::now() - start).count() / double(steps));
        }
        std::sort(times.begin(), times.end());
        std::printf("%s %.6g\n", c.name, 1e6 * times[times.size() / 2]);
        std::fflush(stdout);
    }
}
