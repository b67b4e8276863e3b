// The reference workloads the benchmarks share: from XOR up to 1024-wide layers.
#pragma once

#include <cstddef>
#include <vector>

#include <nn/nn.hpp>

extern "C" {
#include "compare/workloads.h"
}

namespace bench {

struct Workload {
    const char* name;
    std::vector<std::size_t> arch;
    std::size_t batch;
};

/// The four reference workloads, from the table bench/compare's runners share.
inline const std::vector<Workload> workloads = [] {
    std::vector<Workload> out;
    for (const compare_workload& c : compare_workloads)
        out.push_back({c.name, std::vector<std::size_t>(c.arch, c.arch + c.layers), c.batch});
    return out;
}();

/// Multiply-adds of one forward pass, counted as 2 flops each: 2 n sum_l arch[l] arch[l+1].
inline double forward_flops(const Workload& w) {
    double macs = 0;
    for (std::size_t l = 0; l + 1 < w.arch.size(); ++l) macs += double(w.arch[l]) * double(w.arch[l + 1]);
    return 2.0 * double(w.batch) * macs;
}

/// A network with random parameters and a random batch for it, the same for every run.
template <class T>
struct Problem {
    nn::NN<T> net;
    nn::Matrix<T> X, Y;

    explicit Problem(const Workload& w) : net(w.arch), X(w.batch, w.arch.front()), Y(w.batch, w.arch.back()) {
        nn::Rng rng(1);
        net.randomize(rng, T(-0.1), T(0.1));
        for (T& x : X) x = rng.uniform(T(0), T(1));
        for (T& y : Y) y = rng.uniform(T(0), T(1));
    }
};

} // namespace bench
