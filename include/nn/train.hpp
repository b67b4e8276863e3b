// nn/train.hpp: nn::train, the minibatch training loop, with shuffling, validation, early
// stopping and progress output.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define NN_DETAIL_HAVE_ISATTY 1
#endif

#include <nn/io.hpp>
#include <nn/metrics.hpp>
#include <nn/network.hpp>
#include <nn/rng.hpp>

namespace nn {

/// What nn::train prints to stderr while it trains.
enum class Progress {
    Auto,  ///< a live bar on a terminal, else one line per epoch
    Bar,   ///< a live bar (epoch, batch, cost, time left), finished with one line per epoch
    Lines, ///< one line per epoch
    Quiet, ///< nothing
};

/// What one epoch came to. Validation figures are NaN when there is no validation data.
struct EpochStats {
    std::size_t epoch = 0; ///< counted from 1
    double train_cost = 0; ///< the mean cost of the epoch's batches, weighted by their size
    double val_cost = std::numeric_limits<double>::quiet_NaN();
    double val_accuracy = std::numeric_limits<double>::quiet_NaN(); ///< NaN too unless Y_val is all 0s and 1s
    double seconds = 0; ///< wall-clock time of the epoch, validation included
};

/// What an on_epoch callback may return: go on training, or stop after this epoch.
enum class Next { Continue, Stop };

/// The callback nn::train calls after every epoch: any callable taking `const EpochStats&` and
/// returning void (training goes on) or nn::Next (Next::Stop ends training after this epoch, as
/// early stopping does).
class EpochCallback {
public:
    EpochCallback() = default;
    EpochCallback(std::nullptr_t) {}
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, EpochCallback> && std::is_invocable_v<F&, const EpochStats&>)
        EpochCallback(F f) {
        using R = std::invoke_result_t<F&, const EpochStats&>;
        static_assert(std::is_void_v<R> || std::is_same_v<R, Next>,
                      "an on_epoch callback returns void or nn::Next (Next::Stop to stop training), not bool");
        if constexpr (std::is_void_v<R>)
            call_ = [f = std::move(f)](const EpochStats& stats) mutable {
                f(stats);
                return Next::Continue;
            };
        else
            call_ = std::move(f);
    }
    explicit operator bool() const { return static_cast<bool>(call_); }
    Next operator()(const EpochStats& stats) const { return call_(stats); }

private:
    std::function<Next(const EpochStats&)> call_;
};

/// A learning-rate schedule for nn::train: the optimizer's rate during a batch is the rate it had
/// when nn::train began times factor(t), where t is the number of epochs done so far, counting the
/// batches of the current epoch as fractions (t = e + b / batches in batch b of epoch e + 1,
/// both from 0):
///   - a linear warm-up first: factor t / warmup while t < warmup;
///   - then, with u = t - warmup the epochs since the warm-up ended,
///     constant: 1;  step: gamma^floor(u / every);  exponential: gamma^floor(u);
///     cosine: floor + (1 - floor) (1 + cos(pi min(u, period) / period)) / 2, period 0 meaning
///     every epoch left after the warm-up.
/// Step and exponential change the rate between epochs, as torch.optim.lr_scheduler's StepLR and
/// ExponentialLR; warm-up and cosine change it between batches. The optimizer needs rate() and
/// set_rate() (nn::SGD, nn::Adam):
///     nn::train(net, X, Y, sgd, {.epochs = 100, .schedule = nn::Schedule::cosine().warm_up(5)});
struct Schedule {
    enum class Kind { Constant, Step, Exponential, Cosine };
    Kind kind = Kind::Constant;
    double gamma = 1;       ///< step, exponential: the factor per `every` epochs, per epoch
    std::size_t every = 1;  ///< step: epochs between two decays
    std::size_t period = 0; ///< cosine: epochs from the full rate to `floor`; 0: all that are left
    double floor = 0;       ///< cosine: the last factor
    double warmup = 0;      ///< epochs of linear warm-up from 0, before the schedule proper

    static Schedule constant() { return {}; }
    static Schedule step(std::size_t every, double gamma) {
        return {.kind = Kind::Step, .gamma = gamma, .every = every};
    }
    static Schedule exponential(double gamma) { return {.kind = Kind::Exponential, .gamma = gamma}; }
    static Schedule cosine(std::size_t period = 0, double floor = 0) {
        return {.kind = Kind::Cosine, .period = period, .floor = floor};
    }
    /// This schedule after `epochs` epochs (fractions allowed) of linear warm-up.
    Schedule warm_up(double epochs) const {
        Schedule s = *this;
        s.warmup = epochs;
        return s;
    }

    /// Throws nn::Error unless the numbers make a schedule.
    void check() const {
        if (!(gamma > 0) || !std::isfinite(gamma))
            detail::fail("Schedule needs a finite gamma > 0, was given %.9g", gamma);
        if (kind == Kind::Step && every == 0) detail::fail("Schedule::step needs every >= 1 epoch, was given 0");
        if (!(floor >= 0 && floor <= 1)) detail::fail("Schedule::cosine needs 0 <= floor <= 1, was given %.9g", floor);
        if (!(warmup >= 0) || !std::isfinite(warmup))
            detail::fail("Schedule needs a finite warm-up >= 0 epochs, was given %.9g", warmup);
    }
    bool is_constant() const { return kind == Kind::Constant && warmup == 0; }

    /// The factor after t epochs of a run of `epochs`.
    double factor(double t, std::size_t epochs) const {
        if (t < warmup) return t / warmup;
        const double u = t - warmup;
        switch (kind) {
        case Kind::Constant: break;
        case Kind::Step: return std::pow(gamma, std::floor(u / double(every)));
        case Kind::Exponential: return std::pow(gamma, std::floor(u));
        case Kind::Cosine: {
            const double left = double(epochs) - warmup, p = period > 0 ? double(period) : left;
            if (!(p > 0)) return floor;
            const double pi = 3.14159265358979323846;
            return floor + (1 - floor) * (1 + std::cos(pi * std::min(u, p) / p)) / 2;
        }
        }
        return 1;
    }
};

/// How nn::train trains. A plain aggregate: nn::TrainOptions{.epochs = 100, .batch_size = 32}.
struct TrainOptions {
    std::size_t epochs = 10;
    std::size_t batch_size = 32; ///< the last batch of an epoch may be smaller
    bool shuffle = true;         ///< a new order of the samples every epoch, drawn from `seed`
    std::uint64_t seed = 0;
    /// Early stopping: stop after this many epochs in a row without the monitored cost (the
    /// validation cost when there is validation data, else the training cost) falling by more
    /// than min_delta, and put back the parameters (and the optimizer's state) of the best epoch.
    /// 0: train every epoch.
    std::size_t patience = 0;
    double min_delta = 0;
    /// A time budget: no new epoch starts once this many seconds have passed. 0: no limit.
    double max_seconds = 0;
    Progress progress = Progress::Auto;
    /// Called after every epoch; returning nn::Next::Stop ends training there.
    EpochCallback on_epoch = nullptr;
    /// The learning rate over the run (see nn::Schedule); the default keeps the optimizer's rate.
    Schedule schedule = {};
    /// A file nn::save writes the network to after every `checkpoint_every` epochs (atomically: a
    /// crash leaves the previous checkpoint whole), the parameters of that epoch, for resuming.
    /// In a distributed run (nn/mpi.hpp) rank 0 writes it. Empty: no checkpoints.
    std::string checkpoint = {};
    std::size_t checkpoint_every = 1;
};

/// What nn::train did: one entry per epoch trained.
struct History {
    std::vector<EpochStats> epochs;
    std::size_t best_epoch = 0; ///< the epoch whose parameters the network holds at the end, counted from 1
    bool stopped_early = false; ///< by patience, the time budget, on_epoch or a stalled optimizer
};

namespace detail {

inline double now_seconds() {
    std::timespec ts{};
    std::timespec_get(&ts, TIME_UTC);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

inline bool stderr_is_terminal() {
#ifdef NN_DETAIL_HAVE_ISATTY
    return isatty(fileno(stderr)) != 0;
#else
    return false;
#endif
}

inline void print_duration(std::FILE* out, double seconds) {
    const long s = long(seconds + 0.5);
    if (s >= 3600)
        std::fprintf(out, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::fprintf(out, "%ld:%02ld", s / 60, s % 60);
}

/// The rows `order[0 .. count)` of M, copied into `out`, which keeps its storage from batch to batch.
template <Real T>
MatrixView<const T> gather_rows(MatrixView<const T> M, const std::size_t* order, std::size_t count, Matrix<T>& out) {
    out.resize_for_overwrite(count, M.cols());
    for (std::size_t r = 0; r < count; ++r) {
        const T* row = M.data() + order[r] * M.cols();
        for (std::size_t c = 0; c < M.cols(); ++c) out(r, c) = row[c];
    }
    return out;
}

/// The live progress bar: "epoch 2/3 [=====>   ] batch 25/40  cost 0.0245  left 0:01".
inline void draw_bar(std::size_t epoch, std::size_t epochs, std::size_t b, std::size_t batches, double cost,
                     double elapsed) {
    const double done = double((epoch - 1) * batches + b + 1), total = double(epochs * batches);
    const int width = 24, filled = int(width * double(b + 1) / double(batches));
    std::fprintf(stderr, "\repoch %zu/%zu [", epoch, epochs);
    for (int k = 0; k < width; ++k) std::fputc(k < filled ? '=' : k == filled ? '>' : ' ', stderr);
    std::fprintf(stderr, "] batch %zu/%zu  cost %.6g  left ", b + 1, batches, cost);
    print_duration(stderr, elapsed * (total - done) / done);
    std::fprintf(stderr, "   ");
    std::fflush(stderr);
}

/// True when every target is 0 or 1 (one-hot rows or binary labels): a classification, whose
/// accuracy means something.
template <Real T>
bool is_classification(MatrixView<const T> Y) {
    for (const T y : Y)
        if (y != T(0) && y != T(1)) return false;
    return true;
}

/// The processes nn::train runs on. Solo is one process holding every sample; nn/mpi.hpp's
/// nn::mpi::Communicator is the other kind (distributed = true), each process holding a shard of
/// the rows, with these collectives, all in place: sum(std::span<T>) and max(std::span<uint64_t>)
/// over the processes, broadcast(std::span<T>, root), broadcast(std::string&, root),
/// all_gather(std::span<const uint64_t>) (every process's values, rank by rank), rank(), size().
struct Solo {
    static constexpr bool distributed = false;
};

/// The message of what `f` throws, or "" when it returns: the processes of a distributed run
/// compare their outcomes (agree) before any of them throws, so that none is left waiting.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
        return {};
    } catch (const std::exception& e) {
        const std::string what = e.what();
        return what.empty() ? std::string("an exception with an empty message") : what;
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

/// With `flag` the maximum over the processes of (size - rank) for each that failed, 0 for the
/// others: throws, on every process, nn::Error with the lowest failing rank's message.
template <class Comm>
[[noreturn]] void raise_from(const Comm& comm, std::uint64_t flag, std::string error) {
    const int root = comm.size() - int(flag);
    if (comm.rank() == root) {
        std::string message = "rank ";
        message += std::to_string(root);
        message += ": ";
        message += error;
        error = std::move(message);
    }
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

/// A 64-bit digest of a run of bytes (FNV-1a over 8-byte words), for comparing processes' values.
inline std::uint64_t digest(const void* data, std::size_t bytes, std::uint64_t h = 0xcbf29ce484222325u) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p + i, std::min<std::size_t>(8, bytes - i));
        h = (h ^ word) * 0x100000001b3u;
    }
    return h;
}
template <Real T>
std::uint64_t digest(const NN<T>& net) {
    const std::uint64_t h = digest(net.arch().data(), net.arch().size() * sizeof(std::size_t));
    return digest(net.parameters().data(), net.parameters().size() * sizeof(T), h);
}

/// True when every process's `value` is the same.
template <class Comm>
bool same_everywhere(const Comm& comm, std::uint64_t value) {
    std::uint64_t v[2] = {value, ~value}; // max of both: the largest value and the smallest
    comm.max(std::span<std::uint64_t>(v, 2));
    return v[0] == ~v[1];
}

/// check_data for one process's shard, which may be empty (0 rows) in a distributed run.
template <Real T>
void check_shard(const NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, const char* x_name,
                 const char* y_name) {
    if (X.rows() > 0 || Y.rows() > 0) return net.check_data(X, Y, x_name, y_name);
    check_columns(x_name, X.cols(), net.inputs(), "takes", "input");
    check_columns(y_name, Y.cols(), net.outputs(), "gives", "output");
}

/// Every process's parameters <- root's (the networks' shapes the same).
template <Real T, class Comm>
void broadcast_parameters(NN<T>& net, const Comm& comm, int root) {
    comm.broadcast(net.parameters(), root);
}

template <Real T, class Optimizer, class Comm = Solo>
History train(NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, Optimizer& optimizer,
              const TrainOptions& options, MatrixView<const T> X_val, MatrixView<const T> Y_val, bool validate,
              const Comm& comm = {}) {
    constexpr bool distributed = Comm::distributed;
    constexpr bool has_rate = requires(Optimizer & o) {
        T(o.rate());
        o.set_rate(T());
    };
    const bool root = [&] {
        if constexpr (distributed) return comm.rank() == 0;
        return true;
    }();
    // The checks of what this process was given; in a distributed run every process makes them
    // on its own shard and all throw if one fails.
    const auto check_arguments = [&] {
        if (options.batch_size == 0) fail("TrainOptions.batch_size is 0; it must be at least 1");
        if (!(options.max_seconds >= 0) || !std::isfinite(options.max_seconds))
            fail("TrainOptions.max_seconds must be finite and >= 0, was given %.9g", options.max_seconds);
        if (!std::isfinite(options.min_delta) || options.min_delta < 0)
            fail("TrainOptions.min_delta must be finite and >= 0, was given %.9g", options.min_delta);
        if (options.checkpoint_every == 0) fail("TrainOptions.checkpoint_every is 0; it must be at least 1");
        options.schedule.check();
        if (!has_rate && !options.schedule.is_constant())
            fail("TrainOptions.schedule changes the learning rate, and this optimizer has none (rate() and "
                 "set_rate(): nn::SGD, nn::Adam)");
        if constexpr (distributed) {
            check_shard<T>(net, X, Y, "X", "Y");
            if (validate) check_shard<T>(net, X_val, Y_val, "X_val", "Y_val");
        } else {
            net.check_data(X, Y);
            if (validate) net.check_data(X_val, Y_val, "X_val", "Y_val");
        }
        if constexpr (requires { optimizer.check(net, X.rows()); })
            optimizer.check(net, X.rows()); // nn::LevenbergMarquardt: the loss it needs, the memory it takes
    };
    // The samples: this process's X.rows() of n in all, rows offset .. offset + X.rows() of the
    // whole (the processes' shards one after the other, by rank).
    std::size_t n = X.rows(), offset = 0, n_val = X_val.rows();
    bool classify = validate && is_classification(Y_val);
    if constexpr (distributed) {
        agree(comm, error_of(check_arguments));
        std::uint64_t setup = digest(&options.epochs, sizeof options.epochs);
        setup = digest(&options.seed, sizeof options.seed, setup);
        for (const double x :
             {double(options.batch_size), double(options.shuffle), double(options.patience), options.min_delta,
              options.max_seconds, double(options.schedule.kind), options.schedule.gamma,
              double(options.schedule.every), double(options.schedule.period), options.schedule.floor,
              options.schedule.warmup, double(validate), double(net.loss()), double(net.parameter_count())})
            setup = digest(&x, sizeof x, setup);
        for (std::size_t l = 0; l < net.layers(); ++l) {
            const double a[3] = {double(net.arch()[l]), double(net.arch()[l + 1]), double(net.activation(l))};
            setup = digest(a, sizeof a, setup);
        }
        if (!same_everywhere(comm, setup))
            fail("the processes were given different networks (architecture, activations, loss) or TrainOptions; "
                 "every rank needs the same");
        const std::uint64_t mine[2] = {X.rows(), X_val.rows()};
        const std::vector<std::uint64_t> rows = comm.all_gather(std::span<const std::uint64_t>(mine, 2));
        n = n_val = 0;
        for (int r = 0; r < comm.size(); ++r) {
            if (r == comm.rank()) offset = n;
            n += rows[2 * std::size_t(r)];
            n_val += rows[2 * std::size_t(r) + 1];
        }
        if (n == 0) fail("no process holds a training sample: X has no rows on any of the %d ranks", comm.size());
        if (validate && n_val == 0)
            fail("no process holds a validation sample: X_val has no rows on any of the %d ranks", comm.size());
        std::uint64_t regression = !classify;
        comm.max(std::span<std::uint64_t>(&regression, 1));
        classify = validate && regression == 0;
    } else {
        check_arguments();
    }

    const std::size_t batch = options.batch_size < n ? options.batch_size : n;
    const std::size_t batches = (n + batch - 1) / batch;
    if constexpr (requires { Optimizer::full_batch; })
        if (Optimizer::full_batch && batches > 1)
            fail("this optimizer works on the whole training set at once: TrainOptions.batch_size is %zu, it must be "
                 "at least the number of samples, %zu",
                 options.batch_size, n);
    // What the network and optimizer go back to when training throws: the best epoch's state
    // when early stopping keeps one, else the state before the call.
    struct Snapshot {
        NN<T> net;
        Optimizer optimizer;
    };
    const Snapshot before{net, optimizer};
    if constexpr (distributed) broadcast_parameters(net, comm, 0); // every process starts from rank 0's
    const bool bar =
        root && (options.progress == Progress::Bar || (options.progress == Progress::Auto && stderr_is_terminal()));
    const bool lines = root && options.progress != Progress::Quiet;

    Rng rng(options.seed);
    std::vector<std::size_t> order(n), mine; // mine: this process's rows of a batch
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    Matrix<T> Xb, Yb; // the shuffled batch, gathered
    Gradient<T> g;
    struct Evaluation { // the last point cost_at measured, when every step sees the same batch
        std::vector<T> parameters;
        double cost = 0;
        Gradient<T> g;
        bool valid = false;
    } searched;
    const bool same_batch = batches == 1 && !options.shuffle;
    Workspace<T> val_ws;
    History history;
    std::optional<Snapshot> best;
    auto restore = [&](const Snapshot& snapshot) {
        net = snapshot.net;
        optimizer = snapshot.optimizer;
    };
    double best_cost = std::numeric_limits<double>::infinity();
    std::size_t waited = 0;
    const double started = now_seconds();
    std::size_t epoch = 1, b = 0; // where training is, for the messages
    // The schedule sets the optimizer's rate batch by batch; the rate it came with is put back
    // however nn::train ends.
    const bool scheduled = has_rate && !options.schedule.is_constant();
    struct RateGuard {
        Optimizer& optimizer;
        bool active;
        T rate;
        ~RateGuard() {
            if constexpr (has_rate)
                if (active) optimizer.set_rate(rate);
        }
    };
    const RateGuard rate_guard{optimizer, scheduled, [&] {
                                   if constexpr (has_rate) return T(optimizer.rate());
                                   return T(0);
                               }()};

    auto diverged = [&](const char* what) {
        fail("training diverged at epoch %zu, batch %zu of %zu: %s; lower the learning rate", epoch, b + 1, batches,
             what);
    };
    // The batch's cost at `at`'s parameters, and its gradient into `ga`: backprop over the batch,
    // or, distributed, over this process's rows of it (its share of the batch's mean), summed
    // over the processes: the weights of large layers in place, one MPI_Allreduce each; the
    // rest (small layers' weights, every bias, the cost, and how many processes failed) packed
    // into one.
    auto batch_backprop = [&](const NN<T>& at, MatrixView<const T> xb, MatrixView<const T> yb, std::size_t count,
                              Gradient<T>& ga) {
        if constexpr (!distributed) {
            (void)count;
            return double(at.backprop(xb, yb, ga));
        } else {
            if (!ga.matches(at.arch())) ga.resize(at.arch());
            T cost = 0;
            const std::string error = error_of([&] {
                if (xb.rows() > 0) cost = at.backprop(xb, yb, ga, count);
            });
            if (xb.rows() == 0 || !error.empty()) ga.fill(T(0));
            T extra[2] = {cost, error.empty() ? T(0) : T(1)};
            comm.sum(ga.values()); // in place, one MPI_Allreduce
            comm.sum(std::span<T>(extra, 2));
            if (extra[1] != T(0)) agree(comm, error);
            return double(extra[0]);
        }
    };
    try {
        for (; epoch <= options.epochs; ++epoch) {
            const double epoch_start = now_seconds();
            double last_draw = 0;
            if (options.shuffle)
                for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
            double cost_sum = 0;
            for (b = 0; b < batches; ++b) {
                const std::size_t first = b * batch, count = first + batch <= n ? batch : n - first;
                // The batch is the samples order[first .. first + count); this process's part of
                // it, the ones in its shard.
                MatrixView<const T> xb, yb;
                if (!options.shuffle) {
                    const std::size_t begin = std::clamp(first, offset, offset + X.rows()),
                                      end = std::clamp(first + count, offset, offset + X.rows());
                    xb = X.rows(begin - offset, end - begin);
                    yb = Y.rows(begin - offset, end - begin);
                } else if (!distributed) {
                    xb = gather_rows<T>(X, order.data() + first, count, Xb);
                    yb = gather_rows<T>(Y, order.data() + first, count, Yb);
                } else {
                    mine.clear();
                    for (std::size_t k = first; k < first + count; ++k)
                        if (order[k] - offset < X.rows()) mine.push_back(order[k] - offset);
                    xb = gather_rows<T>(X, mine.data(), mine.size(), Xb);
                    yb = gather_rows<T>(Y, mine.data(), mine.size(), Yb);
                }
                if constexpr (has_rate)
                    if (scheduled) {
                        const double t = double(epoch - 1) + double(b) / double(batches);
                        optimizer.set_rate(T(double(rate_guard.rate) * options.schedule.factor(t, options.epochs)));
                    }
                // A line search's last trial is often the point it accepts: on the same batch
                // (one batch, not shuffled) its cost and gradient are reused, not recomputed.
                double cost;
                if (searched.valid && std::ranges::equal(net.parameters(), searched.parameters)) {
                    cost = searched.cost;
                    std::ranges::copy(searched.g.values(), g.values().begin());
                } else {
                    cost = batch_backprop(net, xb, yb, count, g);
                }
                searched.valid = false;
                if (!std::isfinite(cost))
                    diverged(std::isnan(cost) ? "the cost became NaN" : "the cost became infinite");
                try {
                    // An optimizer that searches along its step (nn::LBFGS) also gets the cost
                    // and a way to measure the batch's cost and gradient at trial parameters.
                    const auto cost_at = [&](const NN<T>& trial, Gradient<T>& at) {
                        const double c = batch_backprop(trial, xb, yb, count, at);
                        if (same_batch) {
                            searched.parameters.assign(trial.parameters().begin(), trial.parameters().end());
                            searched.cost = c;
                            searched.g = at;
                            searched.valid = true;
                        }
                        return c;
                    };
                    // nn::LevenbergMarquardt takes the batch itself, and distributed, a way to
                    // sum over the processes.
                    const auto sum = [&](std::span<double> values) {
                        if constexpr (distributed) comm.sum(values);
                    };
                    if constexpr (distributed && requires { optimizer.step(net, xb, yb, cost, sum); })
                        optimizer.step(net, xb, yb, cost, sum);
                    else if constexpr (!distributed && requires { optimizer.step(net, xb, yb, cost); })
                        optimizer.step(net, xb, yb, cost);
                    else if constexpr (requires { optimizer.step(net, g, cost, cost_at); })
                        optimizer.step(net, g, cost, cost_at);
                    else
                        optimizer.step(net, g);
                } catch (const Error& e) { // a gradient that overflowed: say where
                    diverged(e.what());
                }
                cost_sum += cost * double(count);
                if (bar) {
                    const double t = now_seconds();
                    if (t - last_draw >= 0.1 || b + 1 == batches) {
                        last_draw = t;
                        draw_bar(epoch, options.epochs, b, batches, cost_sum / double(first + count), t - started);
                    }
                }
            }
            b = batches - 1;
            // The last step's parameters have not been through a backprop yet: check them here.
            if (!net.parameters_finite()) diverged("a parameter became NaN or infinite");
            EpochStats stats;
            stats.epoch = epoch;
            stats.train_cost = cost_sum / double(n);
            if (validate) {
                if constexpr (distributed) { // the cost and the samples classified right, summed
                    double sums[3] = {0, 0, 0};
                    const std::string error = error_of([&] {
                        if (X_val.rows() == 0) return;
                        const double rows = double(X_val.rows());
                        sums[0] = double(net.cost(X_val, Y_val, val_ws)) * rows;
                        if (classify) sums[1] = std::round(accuracy<T>(val_ws.output(), Y_val) * rows);
                    });
                    sums[2] = error.empty() ? 0 : 1;
                    comm.sum(std::span<double>(sums, 3));
                    if (sums[2] != 0) agree(comm, error);
                    stats.val_cost = sums[0] / double(n_val);
                    if (classify) stats.val_accuracy = sums[1] / double(n_val);
                } else {
                    stats.val_cost = double(net.cost(X_val, Y_val, val_ws));
                    if (classify) stats.val_accuracy = accuracy<T>(val_ws.output(), Y_val);
                }
            }
            stats.seconds = now_seconds() - epoch_start;
            history.epochs.push_back(stats);
            if (lines) {
                std::fprintf(stderr, "%sepoch %zu/%zu  cost %.6g", bar ? "\r" : "", epoch, options.epochs,
                             stats.train_cost);
                if (validate) std::fprintf(stderr, "  val_cost %.6g", stats.val_cost);
                if (classify) std::fprintf(stderr, "  val_accuracy %.4f", stats.val_accuracy);
                std::fprintf(stderr, "  %.2fs%s\n", stats.seconds, bar ? "                         " : "");
            }
            // The checkpoint, by one process; then on_epoch, on every one.
            bool stop = false;
            const auto end_epoch = [&] {
                if (root && !options.checkpoint.empty() && epoch % options.checkpoint_every == 0)
                    save(net, options.checkpoint);
                stop = options.on_epoch && options.on_epoch(stats) == Next::Stop;
            };
            std::string error;
            if constexpr (distributed)
                error = error_of(end_epoch);
            else
                end_epoch();
            if constexpr (requires { bool(optimizer.stalled()); })
                stop = stop || optimizer.stalled(); // nn::LBFGS, nn::LevenbergMarquardt: no lower cost found

            const double monitored = validate ? stats.val_cost : stats.train_cost;
            bool improved = monitored < best_cost - options.min_delta;
            bool out_of_time = options.max_seconds > 0 && now_seconds() - started >= options.max_seconds;
            if constexpr (distributed) {
                // One decision for all: stop if any process's on_epoch says so; improvement and
                // time as rank 0 sees them. And a check that the processes still hold the same
                // parameters, as they must after the same steps.
                const std::uint64_t h = digest(net);
                std::uint64_t v[6] = {error.empty() ? 0 : std::uint64_t(comm.size() - comm.rank()),
                                      stop,
                                      root && improved,
                                      root && out_of_time,
                                      h,
                                      ~h};
                comm.max(std::span<std::uint64_t>(v, 6));
                if (v[0] != 0) raise_from(comm, v[0], error);
                if (v[4] != ~v[5])
                    fail("the processes' parameters differ after epoch %zu: a process ran other code (another "
                         "build or instruction set) or an MPI reduction gave the processes different sums",
                         epoch);
                stop = v[1] != 0;
                improved = v[2] != 0;
                out_of_time = v[3] != 0;
            }
            if (improved) {
                best_cost = monitored;
                history.best_epoch = epoch;
                waited = 0;
                if (options.patience > 0) best.emplace(Snapshot{net, optimizer});
            } else if (options.patience > 0 && ++waited >= options.patience) {
                history.stopped_early = true;
                break;
            }
            if (stop || out_of_time) {
                history.stopped_early = epoch < options.epochs;
                break;
            }
        }
    } catch (const Error& e) {
        restore(best ? *best : before);
        if (best)
            fail("%s; the network holds the parameters of epoch %zu, the best so far", e.what(), history.best_epoch);
        fail("%s; the network holds the parameters it had before nn::train", e.what());
    } catch (...) { // the caller's on_epoch threw: put the state back as above and let it through
        restore(best ? *best : before);
        throw;
    }
    if (best)
        restore(*best); // early stopping: the best epoch's parameters
    else
        history.best_epoch = history.epochs.size();
    return history;
}

} // namespace detail

/// Trains `net` on X, Y with minibatches: each epoch, in a new order when options.shuffle is
/// set, backprop over a batch and one optimizer step per batch. The optimizer is anything
/// copyable with step(net, gradient), such as nn::SGD, nn::Adam or nn::IRprop, or with
/// step(net, gradient, cost, cost_at), such as nn::LBFGS, which measures trial steps with
/// cost_at(net, gradient), the batch's cost at net's parameters (and its gradient, filled in), or
/// with step(net, X, Y, cost), such as nn::LevenbergMarquardt, which takes the batch itself. The
/// same seed gives bit-identical weights. X and Y are matrices or views of them.
///
/// When training cannot go on (a NaN or infinite cost, gradient or parameter: nn::Error naming
/// the epoch and batch; or an exception from on_epoch), the network and the optimizer are put
/// back before the exception leaves: to the best epoch's state when early stopping has kept one
/// (options.patience > 0 and an epoch done), else to the state they had before the call. The
/// message of the nn::Error says which.
///     nn::Adam<float> adam(1e-3f);
///     auto history = nn::train(net, X, Y, adam, nn::TrainOptions{.epochs = 100, .batch_size = 32});
template <Real T, class Optimizer>
History train(NN<T>& net, std::type_identity_t<MatrixView<const T>> X, std::type_identity_t<MatrixView<const T>> Y,
              Optimizer& optimizer, const TrainOptions& options = {}) {
    return detail::train<T>(net, X, Y, optimizer, options, {}, {}, false);
}

/// As above, measuring the cost (and, for targets of 0s and 1s, the accuracy) on the validation
/// data after every epoch; early stopping (options.patience) then watches the validation cost.
template <Real T, class Optimizer>
History train(NN<T>& net, std::type_identity_t<MatrixView<const T>> X, std::type_identity_t<MatrixView<const T>> Y,
              Optimizer& optimizer, const TrainOptions& options, std::type_identity_t<MatrixView<const T>> X_val,
              std::type_identity_t<MatrixView<const T>> Y_val) {
    return detail::train<T>(net, X, Y, optimizer, options, X_val, Y_val, true);
}

} // namespace nn
