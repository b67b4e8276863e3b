// Data-parallel scaling (nn/mpi.hpp): the mnist and wide workloads trained by nn::mpi::train on
// as many processes as mpirun starts, with the global batch of one process. Prints, per
// workload, the median time of a training step, of the MPI_Allreduce of its gradient, and the
// allreduce's share of the step. With --model (run on one process) it also times one process's
// part of a step for 1-64 processes (batch / N rows) and models the step over 10 and 100 Gb/s.
//     OMP_NUM_THREADS=1 mpirun -np 2 build-bench/bench/mpi_scaling
//     OMP_NUM_THREADS=1 mpirun -np 1 build-bench/bench/mpi_scaling --model
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <nn/mpi.hpp>
#include <nn/nn.hpp>

#include "workloads.hpp"

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double seconds() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Measured {
    double step = 0, allreduce = 0; // seconds
};

Measured measure(const bench::Workload& w, const nn::mpi::Communicator& comm, std::size_t epochs) {
    constexpr std::size_t steps = 8; // a step per global batch, 8 in an epoch
    const auto [first, count] = nn::mpi::shard(w.batch * steps, comm);
    nn::Matrix<float> X(count, w.arch.front()), Y(count, w.arch.back());
    nn::Rng rng(first + 1);
    for (float& x : X) x = rng.uniform(0.0f, 1.0f);
    for (float& y : Y) y = rng.uniform(0.0f, 1.0f);
    nn::NN<float> net(w.arch);
    nn::SGD<float> sgd(0.01f);
    const nn::History history = nn::mpi::train(
        comm, net, X, Y, sgd, {.epochs = epochs, .batch_size = w.batch, .progress = nn::Progress::Quiet});
    std::vector<double> epoch_seconds;
    for (std::size_t e = 1; e < history.epochs.size(); ++e) epoch_seconds.push_back(history.epochs[e].seconds);

    std::vector<float> gradient(net.parameter_count() + 2, 1.0f);
    std::vector<double> times;
    for (int rep = 0; rep < 21; ++rep) {
        MPI_Barrier(comm.get());
        const double t = seconds();
        comm.sum(std::span<float>(gradient));
        times.push_back(seconds() - t);
    }
    return {median(epoch_seconds) / steps, median(times)};
}

/// One process's part of a step for `rows` rows: backprop and the SGD update.
double local_step(const bench::Workload& w, std::size_t rows) {
    bench::Workload part = w;
    part.batch = rows;
    bench::Problem<float> p(part);
    nn::Gradient<float> g;
    std::vector<double> times;
    for (int rep = 0; rep < 31; ++rep) {
        const double t = seconds();
        p.net.backprop(p.X, p.Y, g);
        p.net.learn(g, 0.01f);
        times.push_back(seconds() - t);
    }
    return median(times);
}

} // namespace

int main(int argc, char** argv) {
    nn::mpi::Session mpi(argc, argv);
    const nn::mpi::Communicator comm;
    const bool model = argc > 1 && std::strcmp(argv[1], "--model") == 0;
    if (comm.rank() == 0)
        std::printf("%-6s %10s %10s %6s %10s %13s %9s\n", "", "parameters", "MB/step", "ranks", "step ms",
                    "allreduce ms", "share");
    for (const bench::Workload& w : bench::workloads) {
        const bool wide = std::strcmp(w.name, "wide") == 0;
        if (!wide && std::strcmp(w.name, "mnist") != 0) continue;
        const Measured m = measure(w, comm, wide ? 5 : 9);
        const std::size_t P = nn::NN<float>(w.arch).parameter_count();
        if (comm.rank() == 0)
            std::printf("%-6s %10zu %10.2f %6d %10.3f %13.3f %8.1f%%\n", w.name, P, 4e-6 * double(P), comm.size(),
                        1e3 * m.step, 1e3 * m.allreduce, comm.size() > 1 ? 100 * m.allreduce / m.step : 0.0);
    }
    if (!model || comm.rank() != 0) return 0;

    // The model: a step on N processes is one process's part plus a ring allreduce of 4P bytes,
    // 2 (N - 1) / N * 4P / bandwidth + 2 (N - 1) latency. Two ways to use N processes: the same
    // global batch (part = batch / N rows, measured here; speed-up step(1) / step(N)), or the
    // same rows per process (a global batch N times larger; efficiency part / step(N), the
    // fraction of N times one process's throughput).
    struct Link {
        const char* name;
        double bytes_per_second, latency;
    };
    const Link links[] = {{"10 Gb/s", 1.25e9, 10e-6}, {"100 Gb/s", 12.5e9, 2e-6}};
    std::printf("\nmodel: ring allreduce over 10 Gb/s (10 us latency) and 100 Gb/s (2 us)\n");
    std::printf("%-6s %5s %9s | %9s %9s %9s | %9s %9s %9s\n", "", "N", "part ms", "10G ar ms", "speed-up", "weak eff",
                "100G ar ms", "speed-up", "weak eff");
    for (const bench::Workload& w : bench::workloads) {
        if (std::strcmp(w.name, "wide") != 0 && std::strcmp(w.name, "mnist") != 0) continue;
        const double P = double(nn::NN<float>(w.arch).parameter_count());
        const std::vector<std::size_t> counts = {1, 2, 8, 16, 32, 64};
        std::vector<double> parts;
        for (const std::size_t N : counts) parts.push_back(local_step(w, (w.batch + N - 1) / N));
        const double one = parts[0];
        for (std::size_t k = 0; k < counts.size(); ++k) {
            const std::size_t N = counts[k];
            const double part = parts[k];
            std::printf("%-6s %5zu %9.3f", w.name, N, 1e3 * part);
            for (const Link& link : links) {
                const double n = double(N);
                const double ar = 2 * (n - 1) / n * 4 * P / link.bytes_per_second + 2 * (n - 1) * link.latency;
                std::printf(" | %9.3f %9.2f %8.0f%%", 1e3 * ar, one / (part + ar), 100 * one / (one + ar));
            }
            std::printf("\n");
        }
    }
}
