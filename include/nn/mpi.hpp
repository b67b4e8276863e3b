// nn/mpi.hpp: data-parallel training over MPI. Each process (rank) holds a shard of the rows;
// nn::mpi::train runs nn::train's loop on every rank with the gradient (and, for the full-batch
// trainers, every cost and sum the step needs) added up over the ranks by MPI_Allreduce, so that
// N ranks train the network one process would train on all the rows with the same batches.
//
// Not part of nn/nn.hpp: it needs an MPI (Open MPI: apt-get install libopenmpi-dev openmpi-bin)
// and, in CMake, the target nn::mpi. Run with mpirun -np 4 ./program.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <mpi.h>

#include <nn/detail/collective.hpp>
#include <nn/train.hpp>

namespace nn::mpi {

/// MPI for the life of the object: MPI_Init_thread (nn calls MPI from the thread that created
/// this, its kernels' own threads never do) and MPI_Finalize. Does nothing when MPI is already
/// initialised by someone else, who then finalises it too.
///     int main(int argc, char** argv) { nn::mpi::Session mpi(argc, argv); ... }
class Session {
public:
    Session(int& argc, char**& argv) {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (initialised) return;
        int provided = 0;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            detail::fail("MPI_Init_thread failed");
        owner_ = true;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (owner_ && !finalised) MPI_Finalize();
    }

private:
    bool owner_ = false;
};

namespace detail {
template <class T>
MPI_Datatype datatype() {
    if constexpr (std::is_same_v<T, float>)
        return MPI_FLOAT;
    else if constexpr (std::is_same_v<T, double>)
        return MPI_DOUBLE;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return MPI_UINT64_T;
    else
        static_assert(sizeof(T) == 0, "no MPI datatype for this type");
}
inline void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) nn::detail::fail("%s failed (MPI error %d)", what, rc);
}
} // namespace detail

/// The processes a run trains on: an MPI communicator (MPI_COMM_WORLD by default), and the
/// collectives nn::train needs from it. Copies refer to the same communicator, which the caller
/// keeps alive.
class Communicator {
public:
    static constexpr bool distributed = true; ///< for nn::train

    explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
        detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }
    int rank() const { return rank_; }
    int size() const { return size_; }
    MPI_Comm get() const { return comm_; }

    /// values[i] <- the sum over the processes of their values[i] (MPI_Allreduce).
    template <class T>
    void sum(std::span<T> values) const {
        reduce(values, MPI_SUM);
    }
    /// values[i] <- the largest of the processes' values[i].
    void max(std::span<std::uint64_t> values) const { reduce(values, MPI_MAX); }

    /// Every process's values <- those of `root` (MPI_Bcast).
    template <class T>
    void broadcast(std::span<T> values, int root) const {
        for (std::size_t first = 0; first < values.size(); first += chunk) {
            const int count = int(std::min(chunk, values.size() - first));
            detail::check(MPI_Bcast(values.data() + first, count, detail::datatype<T>(), root, comm_), "MPI_Bcast");
        }
    }
    void broadcast(std::string& text, int root) const {
        std::uint64_t length = text.size();
        broadcast(std::span<std::uint64_t>(&length, 1), root);
        text.resize(length);
        detail::check(MPI_Bcast(text.data(), int(length), MPI_CHAR, root, comm_), "MPI_Bcast");
    }

    /// Every process's `values`, rank 0's first (MPI_Allgather); all pass as many.
    std::vector<std::uint64_t> all_gather(std::span<const std::uint64_t> values) const {
        std::vector<std::uint64_t> all(values.size() * std::size_t(size_));
        detail::check(MPI_Allgather(values.data(), int(values.size()), MPI_UINT64_T, all.data(), int(values.size()),
                                    MPI_UINT64_T, comm_),
                      "MPI_Allgather");
        return all;
    }

private:
    static constexpr std::size_t chunk = INT_MAX; // MPI counts are ints

    template <class T>
    void reduce(std::span<T> values, MPI_Op op) const {
        for (std::size_t first = 0; first < values.size(); first += chunk) {
            const int count = int(std::min(chunk, values.size() - first));
            detail::check(MPI_Allreduce(MPI_IN_PLACE, values.data() + first, count, detail::datatype<T>(), op, comm_),
                          "MPI_Allreduce");
        }
    }

    MPI_Comm comm_;
    int rank_ = 0, size_ = 1;
};

/// A block of rows: first, first + 1, ..., first + count - 1.
struct Rows {
    std::size_t first = 0, count = 0;
};

/// This process's share of n rows: the ranks split them into consecutive blocks, rank 0 first,
/// whose sizes differ by at most one.
///     auto [first, count] = nn::mpi::shard(X.rows(), comm);
///     nn::mpi::train(comm, net, X.rows(first, count), Y.rows(first, count), adam, options);
inline Rows shard(std::size_t n, const Communicator& comm) {
    const std::size_t r = std::size_t(comm.rank()), N = std::size_t(comm.size());
    const std::size_t first = n / N * r + std::min(r, n % N), count = n / N + (r < n % N ? 1 : 0);
    return {first, count};
}

/// Every process's network <- root's parameters (the shapes must be the same).
template <Real T>
void broadcast(NN<T>& net, const Communicator& comm, int root = 0) {
    if (!nn::detail::same_everywhere(comm, net.parameter_count()))
        nn::detail::fail("the processes' networks have different numbers of parameters; this one has %zu",
                         net.parameter_count());
    nn::detail::broadcast_parameters(net, comm, root);
}

/// Runs f() on this process, which every process of `comm` must do; when f throws on any of them
/// (a shard's file missing or malformed), every one throws the same nn::Error, with the message of
/// the lowest rank that failed ("rank 2: ..."), instead of the others waiting for it for ever.
///     nn::mpi::collectively(comm, [&] { data = nn::read_csv<float>(shard_path); });
template <class F>
void collectively(const Communicator& comm, F&& f) {
    nn::detail::collectively(comm, f);
}

/// nn::train on every process of `comm`, each with its own shard X, Y of the training set, which
/// together make the whole set in rank order (a shard may be empty). Every rank must call it with
/// the same network shape, optimizer and options; all start from rank 0's parameters, and every
/// step uses the gradient of the whole batch: the batches are those one process would draw from
/// the same seed over all the rows (shuffling permutes all the rows, not each shard), each
/// process computing its rows' part and MPI_Allreduce adding the parts. So N processes give the
/// network one process would, but for the order of the sums (float rounding), and the same bits
/// run after run with the same N. Works with every optimizer nn::train takes, nn::LBFGS (each
/// trial of the line search reduced too) and nn::LevenbergMarquardt (J^T J and J^T r reduced)
/// included.
///
/// Validation, early stopping and the time budget are decided once for all: the validation cost
/// is summed over every process's shard of X_val, Y_val; on_epoch runs on every process with the
/// same statistics and training stops if any returns Next::Stop; the time budget is rank 0's
/// clock. Progress is printed and the checkpoint written by rank 0 alone. An error on any process
/// (bad data in one shard, a divergence, an exception from on_epoch) makes every process throw
/// the same nn::Error, naming the rank it came from ("rank 2: X(7, 1) is nan; X must be finite; ...", the row counted
/// in that process's shard), with the networks put back as nn::train does. After each epoch the processes compare a
/// digest of their parameters, and throw nn::Error should they ever differ.
///
/// Without shuffling, each batch is a block of consecutive rows and lies mostly in one shard:
/// shuffle (the default) or use full batches for the processes to share the work.
template <Real T, class Optimizer>
History train(const Communicator& comm, NN<T>& net, std::type_identity_t<MatrixView<const T>> X,
              std::type_identity_t<MatrixView<const T>> Y, Optimizer& optimizer, const TrainOptions& options = {}) {
    return nn::detail::train<T>(net, X, Y, optimizer, options, {}, {}, false, comm);
}

/// As above, with every process's shard of the validation data.
template <Real T, class Optimizer>
History train(const Communicator& comm, NN<T>& net, std::type_identity_t<MatrixView<const T>> X,
              std::type_identity_t<MatrixView<const T>> Y, Optimizer& optimizer, const TrainOptions& options,
              std::type_identity_t<MatrixView<const T>> X_val, std::type_identity_t<MatrixView<const T>> Y_val) {
    return nn::detail::train<T>(net, X, Y, optimizer, options, X_val, Y_val, true, comm);
}

} // namespace nn::mpi
