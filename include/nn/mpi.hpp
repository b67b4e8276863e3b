// nn/mpi.hpp: data-parallel training over MPI. Each process (rank) holds a shard of the rows;
// nn::mpi::train runs nn::train's loop on every rank with the gradient (and, for the full-batch
// trainers, every cost and sum the step needs) added up over the ranks by MPI_Allreduce, so that
// N ranks train the network one process would train on all the rows with the same batches.
//
// Not part of nn/nn.hpp: it needs an MPI (Open MPI: apt-get install libopenmpi-dev openmpi-bin)
// and, in CMake, the target nn::mpi. Run with mpirun -np 4 ./program.
#pragma once

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <mpi.h>

#include <nn/detail/collective.hpp>
#include <nn/train.hpp>

namespace nn::mpi {

namespace detail {
/// True once a collective has timed out: MPI cannot be finalised then (the silent rank never
/// joins), so Session aborts the job instead.
inline bool& timed_out() {
    static bool flag = false;
    return flag;
}
} // namespace detail

/// MPI for the life of the object: MPI_Init_thread (nn calls MPI from the thread that created
/// this, its kernels' own threads never do) and MPI_Finalize; after a collective timed out (see
/// Communicator), MPI_Abort instead, which ends every process of the job, the silent one too.
/// Does nothing when MPI is already initialised by someone else, who then finalises it too.
///     int main(int argc, char** argv) { nn::mpi::Session mpi(argc, argv); ... }
class Session {
public:
    Session(int& argc, char**& argv) {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (initialised) return;
        int provided = 0;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            nn::detail::fail("MPI_Init_thread failed");
        owner_ = true;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!owner_ || finalised) return;
        if (detail::timed_out()) MPI_Abort(MPI_COMM_WORLD, 1);
        MPI_Finalize();
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
    else if constexpr (std::is_same_v<T, char>)
        return MPI_CHAR;
    else
        static_assert(sizeof(T) == 0, "no MPI datatype for this type");
}
inline void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) nn::detail::fail("%s failed (MPI error %d)", what, rc);
}
inline double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace detail

/// The processes a run trains on: an MPI communicator (MPI_COMM_WORLD by default), and the
/// collectives nn::train needs from it. Copies refer to the same communicator, which the caller
/// keeps alive.
///
/// No process waits for ever: a collective that has not completed after `timeout_seconds` (10
/// minutes unless told, as PyTorch's default for NCCL) asks every other process whether it is
/// there, and throws nn::Error naming those that did not answer (a process stopped, hung or dead),
/// on every process still running. MPI cannot go on after that: end the program (nn::mpi::Session
/// then aborts the job). The liveness messages use tags 28270 and 28271 of the communicator.
///     nn::mpi::Communicator comm(MPI_COMM_WORLD, 60);   // a minute
class Communicator {
public:
    static constexpr bool distributed = true; ///< for nn::train
    static constexpr double default_timeout = 600;

    explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD, double timeout_seconds = default_timeout)
        : comm_(comm), timeout_(timeout_seconds) {
        if (!(timeout_ > 0)) nn::detail::fail("a Communicator needs a timeout > 0 seconds, was given %g", timeout_);
        detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }
    int rank() const { return rank_; }
    int size() const { return size_; }
    MPI_Comm get() const { return comm_; }
    double timeout() const { return timeout_; }

    /// values[i] <- the sum over the processes of their values[i] (MPI_Iallreduce).
    template <class T>
    void sum(std::span<T> values) const {
        reduce(values, MPI_SUM);
    }
    /// values[i] <- the largest of the processes' values[i].
    void max(std::span<std::uint64_t> values) const { reduce(values, MPI_MAX); }

    /// Every process's values <- those of `root` (MPI_Ibcast).
    template <class T>
    void broadcast(std::span<T> values, int root) const {
        for (std::size_t first = 0; first < values.size(); first += chunk) {
            MPI_Request request;
            detail::check(MPI_Ibcast(values.data() + first, int(std::min(chunk, values.size() - first)),
                                     detail::datatype<T>(), root, comm_, &request),
                          "MPI_Ibcast");
            wait(request, "MPI_Ibcast");
        }
    }
    void broadcast(std::string& text, int root) const {
        std::uint64_t length = text.size();
        broadcast(std::span<std::uint64_t>(&length, 1), root);
        text.resize(length);
        broadcast(std::span<char>(text.data(), text.size()), root);
    }

    /// Every process's `values`, rank 0's first (MPI_Iallgather); all pass as many.
    std::vector<std::uint64_t> all_gather(std::span<const std::uint64_t> values) const {
        std::vector<std::uint64_t> all(values.size() * std::size_t(size_));
        MPI_Request request;
        detail::check(MPI_Iallgather(values.data(), int(values.size()), MPI_UINT64_T, all.data(), int(values.size()),
                                     MPI_UINT64_T, comm_, &request),
                      "MPI_Iallgather");
        wait(request, "MPI_Iallgather");
        return all;
    }

private:
    static constexpr std::size_t chunk = INT_MAX; // MPI counts are ints
    static constexpr int probe_tag = 28270, alive_tag = 28271;

    /// Small reductions wait on MPI_Iallreduce itself; large ones (a gradient) first meet at an
    /// MPI_Ibarrier, waited on the same way, and then run the blocking MPI_Allreduce, whose
    /// algorithms are the faster for large messages (2.7 against 7.1 ms for 12.6 MB on two ranks
    /// here): a process can then only go silent between the two calls.
    template <class T>
    void reduce(std::span<T> values, MPI_Op op) const {
        constexpr std::size_t large = 4096; // values
        for (std::size_t first = 0; first < values.size(); first += chunk) {
            const int count = int(std::min(chunk, values.size() - first));
            MPI_Request request;
            if (values.size() < large) {
                detail::check(MPI_Iallreduce(MPI_IN_PLACE, values.data() + first, count, detail::datatype<T>(), op,
                                             comm_, &request),
                              "MPI_Iallreduce");
                wait(request, "MPI_Iallreduce");
            } else {
                detail::check(MPI_Ibarrier(comm_, &request), "MPI_Ibarrier");
                wait(request, "MPI_Ibarrier (before an MPI_Allreduce)");
                detail::check(
                    MPI_Allreduce(MPI_IN_PLACE, values.data() + first, count, detail::datatype<T>(), op, comm_),
                    "MPI_Allreduce");
            }
        }
    }

    /// Waits for a collective: polling it (which is how MPI makes progress on it), answering other
    /// processes' liveness probes, pausing once it has taken a millisecond, and past the timeout
    /// naming the processes that are not there.
    void wait(MPI_Request& request, const char* what) const {
        const double start = detail::now();
        for (unsigned polls = 1;; ++polls) {
            int done = 0;
            detail::check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
            if (done) return;
            if (polls % 64 != 0) continue;
            answer_probes();
            const double waited = detail::now() - start;
            if (waited > timeout_) report_silent(what);
            if (waited > 1e-3) std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }

    /// Answers every liveness probe another process has sent: "here".
    void answer_probes() const {
        static const int here = 1; // the send buffer outlives the send
        for (;;) {
            int pending = 0;
            MPI_Status status;
            MPI_Iprobe(MPI_ANY_SOURCE, probe_tag, comm_, &pending, &status);
            if (!pending) return;
            int token = 0;
            MPI_Recv(&token, 1, MPI_INT, status.MPI_SOURCE, probe_tag, comm_, MPI_STATUS_IGNORE);
            MPI_Request reply;
            MPI_Isend(&here, 1, MPI_INT, status.MPI_SOURCE, alive_tag, comm_, &reply);
            MPI_Request_free(&reply);
        }
    }

    /// After a timeout: asks every other process whether it is there, waits as long again (at
    /// most 10 s) for the answers, and throws nn::Error naming the processes that gave none.
    [[noreturn]] void report_silent(const char* what) const {
        static const int probe = 1;
        for (int r = 0; r < size_; ++r)
            if (r != rank_) {
                MPI_Request request;
                MPI_Isend(&probe, 1, MPI_INT, r, probe_tag, comm_, &request);
                MPI_Request_free(&request);
            }
        std::vector<char> answered(std::size_t(size_), 0);
        answered[std::size_t(rank_)] = 1;
        int missing = size_ - 1;
        for (const double end = detail::now() + std::min(timeout_, 10.0); missing > 0 && detail::now() < end;) {
            answer_probes();
            int pending = 0;
            MPI_Status status;
            MPI_Iprobe(MPI_ANY_SOURCE, alive_tag, comm_, &pending, &status);
            if (!pending) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            int token = 0;
            MPI_Recv(&token, 1, MPI_INT, status.MPI_SOURCE, alive_tag, comm_, MPI_STATUS_IGNORE);
            if (!answered[std::size_t(status.MPI_SOURCE)]) answered[std::size_t(status.MPI_SOURCE)] = 1, --missing;
        }
        detail::timed_out() = true;
        std::string silent;
        for (int r = 0; r < size_; ++r)
            if (!answered[std::size_t(r)]) nn::detail::append(silent, "%s%d", silent.empty() ? "" : ", ", r);
        if (silent.empty())
            nn::detail::fail("%s did not complete within %g s though every rank answers: the ranks are not all in the "
                             "same collective (they run different code)",
                             what, timeout_);
        nn::detail::fail("%s did not complete within %g s: rank%s %s did not answer (stopped, hung or dead); MPI "
                         "cannot go on: end the program (nn::mpi::Session aborts the job)",
                         what, timeout_, missing > 1 ? "s" : "", silent.c_str());
    }

    MPI_Comm comm_;
    double timeout_;
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
