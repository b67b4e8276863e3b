// nn/detail/collective.hpp: the processes nn::train runs on, and how they agree.
//
// nn::train's loop is written once for any Communicator: detail::Solo, one process holding every
// sample, whose collectives do nothing; or nn::mpi::Communicator (nn/mpi.hpp), each process
// holding a shard of the rows, whose collectives are MPI's. The protocol of a distributed run
// lives here: every process checks its own part and all throw the same nn::Error when any fails
// (collectively); the processes compare what must be the same on all (same_everywhere, digest);
// each batch's gradient, cost and stop vote are summed (reduce_batch); each epoch ends with one
// decision for all (decide).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nn/detail/digest.hpp>
#include <nn/detail/format.hpp>
#include <nn/error.hpp>
#include <nn/gradient.hpp>

namespace nn::detail {

/// What nn::train needs of the processes it runs on: their number and this one's rank, and
/// collectives in place over all of them (every process calls each, in the same order).
template <class C>
concept Communicator = requires(const C& c, std::span<float> f, std::span<double> d, std::span<std::uint64_t> u,
                                std::span<const std::uint64_t> cu, std::string& s) {
    { C::distributed } -> std::convertible_to<bool>;
    { c.rank() } -> std::convertible_to<int>;
    { c.size() } -> std::convertible_to<int>;
    c.sum(f);          // values[i] <- the sum over the processes of their values[i]
    c.sum(d);          //
    c.max(u);          // values[i] <- the largest of the processes' values[i]
    c.broadcast(f, 0); // every process's values <- those of the root
    c.broadcast(d, 0); //
    c.broadcast(s, 0); //
    { c.all_gather(cu) } -> std::same_as<std::vector<std::uint64_t>>; // every process's values, rank by rank
};

/// One process holding every sample: the collectives have nothing to do.
struct Solo {
    static constexpr bool distributed = false;
    int rank() const { return 0; }
    int size() const { return 1; }
    template <class V>
    void sum(std::span<V>) const {}
    void max(std::span<std::uint64_t>) const {}
    template <class V>
    void broadcast(std::span<V>, int) const {}
    void broadcast(std::string&, int) const {}
    std::vector<std::uint64_t> all_gather(std::span<const std::uint64_t> values) const {
        return {values.begin(), values.end()};
    }
};

/// With `flag` the maximum over the processes of (size - rank) for each that failed, 0 for the
/// others: throws, on every process, nn::Error with the lowest failing rank's message.
template <class Comm>
[[noreturn]] void raise_from(const Comm& comm, std::uint64_t flag, std::string error) {
    const int root = comm.size() - int(flag);
    if (comm.rank() == root) error = format("rank %d: %s", root, error.c_str());
    comm.broadcast(error, root);
    throw Error(error);
}

/// Every process passes what it failed with ("" for nothing); when any failed, all throw the
/// same nn::Error, else all go on.
template <class Comm>
void agree(const Comm& comm, const std::string& error) {
    std::uint64_t flag = error.empty() ? 0 : std::uint64_t(comm.size() - comm.rank());
    comm.max(std::span<std::uint64_t>(&flag, 1));
    if (flag != 0) raise_from(comm, flag, error);
}

/// Runs f() on every process; in a distributed run, when it throws on any of them, all throw the
/// same nn::Error with the lowest failing rank's message, instead of the others waiting for ever.
/// One process: f's exception leaves as it was thrown.
template <class Comm, class F>
void collectively(const Comm& comm, F&& f) {
    if constexpr (Comm::distributed)
        agree(comm, error_of(f));
    else
        f();
}

/// True when every process's `value` is the same.
template <class Comm>
bool same_everywhere(const Comm& comm, std::uint64_t value) {
    std::uint64_t v[2] = {value, ~value}; // max of both: the largest value and the smallest
    comm.max(std::span<std::uint64_t>(v, 2));
    return v[0] == ~v[1];
}

/// The samples of a run: n in all, this process's rows offset .. offset + its rows (the processes'
/// shards one after the other, by rank), and the validation samples of every process.
struct Shards {
    std::size_t n = 0, offset = 0, n_val = 0;
};
template <class Comm>
Shards gather_shards(const Comm& comm, std::size_t rows, std::size_t val_rows) {
    const std::uint64_t mine[2] = {rows, val_rows};
    const std::vector<std::uint64_t> all = comm.all_gather(std::span<const std::uint64_t>(mine, 2));
    Shards s;
    for (int r = 0; r < comm.size(); ++r) {
        if (r == comm.rank()) s.offset = s.n;
        s.n += std::size_t(all[2 * std::size_t(r)]);
        s.n_val += std::size_t(all[2 * std::size_t(r) + 1]);
    }
    return s;
}

/// A batch's figures, from every process: compute() gives this process's part of the batch's cost
/// and fills g with its part of the gradient (each already divided by the whole batch's rows);
/// the parts are summed in place, with whether any process failed (all then throw the lowest
/// failing rank's message) and whether any was asked to stop. A process without rows of the
/// batch adds zeros. One process: compute() as it is.
struct BatchVotes {
    double cost = 0;
    bool stop = false;
};
template <Real T, class Comm, class Compute>
BatchVotes reduce_batch(const Comm& comm, Parameters<T>& g, bool has_rows, bool stop, Compute&& compute) {
    if constexpr (!Comm::distributed) {
        return {compute(), stop};
    } else {
        double cost = 0;
        const std::string error = error_of([&] {
            if (has_rows) cost = compute();
        });
        if (!has_rows || !error.empty()) g.fill(T(0));
        double extra[3] = {error.empty() ? cost : 0.0, error.empty() ? 0.0 : 1.0, stop ? 1.0 : 0.0};
        comm.sum(g.values()); // in place: one MPI_Allreduce of every parameter's derivative
        comm.sum(std::span<double>(extra, 3));
        if (extra[1] != 0) agree(comm, error);
        return {extra[0], extra[2] != 0};
    }
}

/// Runs f(), which fills `values` with this process's part of some sums, and sums them over the
/// processes; when f throws on any process, all throw the same nn::Error (as collectively).
template <class Comm, class F>
void sum_collectively(const Comm& comm, std::span<double> values, F&& f) {
    if constexpr (!Comm::distributed) {
        f();
    } else {
        const std::string error = error_of(f);
        std::vector<double> all(values.begin(), values.end());
        all.push_back(error.empty() ? 0.0 : 1.0);
        comm.sum(std::span<double>(all));
        if (all.back() != 0) agree(comm, error);
        std::copy(all.begin(), all.end() - 1, values.begin());
    }
}

/// Every process's parameters <- root's (the networks' shapes the same).
template <class Net, class Comm>
void broadcast_parameters(Net& net, const Comm& comm, int root) {
    comm.broadcast(net.parameters(), root);
}

/// The end of an epoch, decided once for all: stop if any process says so (`stop`), improvement
/// and the time budget as rank 0 sees them; any process's `error` thrown on all; and a check
/// that the processes still hold the same parameters (`parameters_digest`), as they must after
/// the same steps (a digest of them, 0 for one process). One process: the flags as they are.
struct Decision {
    bool stop = false, improved = false, out_of_time = false;
};
template <class Comm>
Decision decide(const Comm& comm, const std::string& error, bool stop, bool improved, bool out_of_time,
                std::uint64_t parameters_digest, std::size_t epoch) {
    if constexpr (!Comm::distributed) {
        return {stop, improved, out_of_time};
    } else {
        const bool root = comm.rank() == 0;
        std::uint64_t v[6] = {error.empty() ? 0 : std::uint64_t(comm.size() - comm.rank()),
                              stop,
                              root && improved,
                              root && out_of_time,
                              parameters_digest,
                              ~parameters_digest};
        comm.max(std::span<std::uint64_t>(v, 6));
        if (v[0] != 0) raise_from(comm, v[0], error);
        if (v[4] != ~v[5])
            fail("the processes' parameters differ after epoch %zu: a process ran other code (another build or "
                 "instruction set) or an MPI reduction gave the processes different sums",
                 epoch);
        return {v[1] != 0, v[2] != 0, v[3] != 0};
    }
}

} // namespace nn::detail
