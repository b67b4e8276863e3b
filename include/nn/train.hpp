// nn/train.hpp: nn::train, the training loop: minibatches in a new order every epoch, one optimizer
// step per batch, validation, early stopping, checkpoints a run resumes from, and stopping on
// request. What the loop uses lives beside it: what it asks of an optimizer (optimizer.hpp), the
// learning rate (schedule.hpp), what it returns (history.hpp), the run as one resumable value
// (checkpoint.hpp), stopping (stop.hpp), what it prints (detail/progress.hpp) and the processes it
// runs on (detail/collective.hpp; nn/mpi.hpp for MPI).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nn/checkpoint.hpp>
#include <nn/detail/collective.hpp>
#include <nn/detail/file.hpp>
#include <nn/detail/progress.hpp>
#include <nn/history.hpp>
#include <nn/metrics.hpp>
#include <nn/network.hpp>
#include <nn/optimizer.hpp>
#include <nn/rng.hpp>
#include <nn/schedule.hpp>
#include <nn/stop.hpp>

namespace nn {

/// What nn::train prints to stderr while it trains.
enum class Progress {
    Auto,  ///< a live bar on a terminal; else (a file, a pipe) epoch lines, at most two a second
    Bar,   ///< a live bar (epoch, batch, cost, time left), finished with one line per epoch
    Lines, ///< one line per epoch
    Quiet, ///< nothing
};

/// What an on_epoch callback may return: go on training, or stop after this epoch.
enum class Next { Continue, Stop };

/// The callback nn::train calls after every epoch: any callable taking `const EpochStats&` and
/// returning void (training goes on) or nn::Next (Next::Stop ends training after this epoch, as
/// early stopping does). A copy of it is a copy of the callable. (What std::function would hold,
/// held here: <functional> costs every program that includes nn/train.hpp a fifth of a second.)
class EpochCallback {
public:
    EpochCallback() = default;
    EpochCallback(std::nullptr_t) {}
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, EpochCallback> && std::is_invocable_v<F&, const EpochStats&>)
        EpochCallback(F f)
        : held_(new Held<F>(std::move(f))) {
        using R = std::invoke_result_t<F&, const EpochStats&>;
        static_assert(std::is_void_v<R> || std::is_same_v<R, Next>,
                      "an on_epoch callback returns void or nn::Next (Next::Stop to stop training), not bool");
    }
    EpochCallback(const EpochCallback& other) : held_(other.held_ ? other.held_->copy() : nullptr) {}
    EpochCallback(EpochCallback&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
    EpochCallback& operator=(EpochCallback other) noexcept {
        std::swap(held_, other.held_);
        return *this;
    }
    ~EpochCallback() { delete held_; }

    explicit operator bool() const { return held_ != nullptr; }
    Next operator()(const EpochStats& stats) const { return held_->call(stats); }

private:
    struct Callable {
        virtual ~Callable() = default;
        virtual Next call(const EpochStats& stats) = 0;
        virtual Callable* copy() const = 0;
    };
    template <class F>
    struct Held final : Callable {
        explicit Held(F&& callable) : f(std::move(callable)) {}
        Next call(const EpochStats& stats) override {
            if constexpr (std::is_void_v<std::invoke_result_t<F&, const EpochStats&>>) {
                f(stats);
                return Next::Continue;
            } else {
                return f(stats);
            }
        }
        Callable* copy() const override { return new Held(F(f)); }
        F f;
    };
    Callable* held_ = nullptr;
};

/// A count in TrainOptions (epochs, samples): any integer type converts to it without a
/// narrowing error (`.epochs = n` with an int n); a negative one is an nn::Error.
class Count {
public:
    constexpr Count() = default;
    template <std::integral I>
    constexpr Count(I n) : n_(static_cast<std::size_t>(n)) { // NOLINT: implicit, as the size_t it stands for
        if constexpr (std::is_signed_v<I>)
            if (n < 0)
                detail::fail("TrainOptions: a count (epochs, batch_size, patience, checkpoint_every) is %lld; "
                             "counts are >= 0",
                             static_cast<long long>(n));
    }
    constexpr operator std::size_t() const noexcept { return n_; }

private:
    std::size_t n_ = 0;
};

/// How nn::train trains. A plain aggregate: nn::TrainOptions{.epochs = 100, .batch_size = 32}.
struct TrainOptions {
    Count epochs = 10;
    /// Samples a step; the last batch of an epoch may be smaller. 0: 32, or every sample for a
    /// full-batch optimizer (nn::IRprop, nn::LBFGS, nn::LevenbergMarquardt), which refuses less.
    Count batch_size = 0;
    bool shuffle = true; ///< a new order of the samples every epoch, drawn from `seed` and the epoch
    std::uint64_t seed = 0;
    /// Early stopping: stop after this many epochs in a row without the monitored cost (the
    /// validation cost when there is validation data, else the training cost) falling by more
    /// than min_delta, and put back the parameters (and the optimizer's state) of the best epoch.
    /// 0: train every epoch.
    Count patience = 0;
    double min_delta = 0;
    /// A time budget: no new epoch starts once this many seconds of training have passed (a
    /// resumed run counts the time before it). 0: no limit.
    double max_seconds = 0;
    Progress progress = Progress::Auto;
    /// Called after every epoch; returning nn::Next::Stop ends training there.
    EpochCallback on_epoch = nullptr;
    /// The learning rate over the run (see nn::Schedule); the default keeps the optimizer's rate.
    Schedule schedule = {};
    /// A file that holds the whole run (see checkpoint.hpp): the network, the optimizer's state,
    /// where training is, early stopping and the history. Written atomically after every
    /// `checkpoint_every` epochs, when training ends and when it is stopped (.stop), before
    /// on_epoch; nn::load reads it as the network to use. A write that fails is reported (stderr,
    /// EpochStats.checkpoint_error) and training goes on; the file keeps the last checkpoint that
    /// was written. In a distributed run (nn/mpi.hpp) rank 0 writes it. Empty: no checkpoints.
    std::string checkpoint = {};
    Count checkpoint_every = 1;
    /// Go on from `checkpoint` when that file exists (else start from the beginning), to the bits
    /// of the run that was never interrupted: run the same command again after a crash, a kill or
    /// a stop. The network's arch, the optimizer and its settings, these options and the data must
    /// be those it was made with (nn::Error naming what differs, before anything changes).
    bool resume = false;
    /// Checked between batches: once set (nn::StopFlag, from another thread or a signal handler:
    /// nn::StopOnSignals), training writes a last checkpoint and returns normally, with the best
    /// (or last) parameters and History.interrupted set.
    const StopFlag* stop = nullptr;
};

namespace detail {

/// NN's backprop without its checks of the data, for a loop that checked every sample at the start.
struct NetworkAccess {
    template <Real T>
    static T backprop(const NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, Gradient<T>& g,
                      std::size_t batch_rows) {
        return net.run_backprop(X, Y, g, batch_rows);
    }
};

/// The rows `rows[0 .. count)` of M, copied into `out`, which keeps its storage from batch to batch.
template <Real T>
MatrixView<const T> gather_rows(MatrixView<const T> M, const std::size_t* rows, std::size_t count, Matrix<T>& out) {
    out.resize_for_overwrite(count, M.cols());
    for (std::size_t r = 0; r < count; ++r)
        std::copy_n(M.data() + rows[r] * M.cols(), M.cols(), out.data() + r * M.cols());
    return out;
}

/// The order of the samples in epoch `epoch` (from 1): a permutation of 0 .. n-1 drawn afresh from
/// the seed and the epoch alone (so a resumed run draws the same), or 0 .. n-1 without shuffling.
inline void draw_order(std::vector<std::size_t>& order, bool shuffle, std::uint64_t seed, std::size_t epoch) {
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (!shuffle) return;
    // The epoch mixed by splitmix64's finaliser, so that no two epochs, and no two nearby seeds,
    // share an order.
    std::uint64_t z = std::uint64_t(epoch) * 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    Rng rng(seed ^ z ^ (z >> 31));
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
}

/// True when every target is 0 or 1 (one-hot rows or binary labels): a classification, whose
/// accuracy means something.
template <Real T>
bool is_classification(MatrixView<const T> Y) {
    for (const T y : Y)
        if (y != T(0) && y != T(1)) return false;
    return true;
}

/// NN::check_data for one process's part of the data, which may be empty in a distributed run.
template <Real T, class Comm>
void check_part(const NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, const char* x_name,
                const char* y_name) {
    if (!Comm::distributed || X.rows() > 0 || Y.rows() > 0) return net.check_data(X, Y, x_name, y_name);
    check_columns(x_name, X.cols(), net.inputs(), "takes", "input");
    check_columns(y_name, Y.cols(), net.outputs(), "gives", "output");
}

/// The options' own checks.
inline void check_options(const TrainOptions& options, bool has_rate, bool saves_state) {
    if (!(options.max_seconds >= 0) || !std::isfinite(options.max_seconds))
        fail("TrainOptions.max_seconds must be finite and >= 0, was given %.9g", options.max_seconds);
    if (!std::isfinite(options.min_delta) || options.min_delta < 0)
        fail("TrainOptions.min_delta must be finite and >= 0, was given %.9g", options.min_delta);
    if (options.checkpoint_every == 0) fail("TrainOptions.checkpoint_every is 0; it must be at least 1");
    if (options.resume && options.checkpoint.empty())
        fail("TrainOptions.resume needs a TrainOptions.checkpoint to resume from");
    if (options.resume && !saves_state)
        fail("TrainOptions.resume needs an optimizer whose state a checkpoint holds (save and load, as nn::SGD, "
             "nn::Adam, nn::IRprop, nn::LBFGS and nn::LevenbergMarquardt have)");
    options.schedule.check();
    if (!has_rate && !options.schedule.is_constant())
        fail("TrainOptions.schedule changes the learning rate, and this optimizer has none (rate() and set_rate(): "
             "nn::SGD, nn::Adam)");
}

/// What must be the same on every process of a run, and for a checkpoint to resume it: the
/// network, the optimizer's rate, the options that change the run's course, and the processes.
template <Real T>
Identity identity_of(const NN<T>& net, const TrainOptions& o, T rate, bool validate, int processes) {
    const Schedule& s = o.schedule;
    return {{"network", format("%s %s %s %s", sizeof(T) == 4 ? "float" : "double", join_arch(net.arch()).c_str(),
                               join_activations(net.activations()).c_str(), name(net.loss()))},
            {"rate", shortest(rate)},
            {"epochs", format("%zu", std::size_t(o.epochs))},
            {"batch_size", format("%zu", std::size_t(o.batch_size))},
            {"shuffle", o.shuffle ? "true" : "false"},
            {"seed", format("%llu", static_cast<unsigned long long>(o.seed))},
            {"patience", format("%zu", std::size_t(o.patience))},
            {"min_delta", shortest(o.min_delta)},
            {"schedule", format("kind %d, gamma %s, every %zu, period %zu, floor %s, warm-up %s", int(s.kind),
                                shortest(s.gamma).c_str(), s.every, s.period, shortest(s.floor).c_str(),
                                shortest(s.warmup).c_str())},
            {"validation", validate ? "yes" : "no"},
            {"processes", format("%d", processes)}};
}

/// The data's entry of a run's Identity: every process's shapes and a digest of its contents, so
/// that a checkpoint resumes only on the data it was made with.
template <Real T, class Comm>
std::string data_identity(const Comm& comm, MatrixView<const T> X, MatrixView<const T> Y, MatrixView<const T> X_val,
                          MatrixView<const T> Y_val) {
    std::uint64_t h = digest(X.data(), X.size() * sizeof(T));
    h = digest(Y.data(), Y.size() * sizeof(T), h);
    h = digest(X_val.data(), X_val.size() * sizeof(T), h);
    h = digest(Y_val.data(), Y_val.size() * sizeof(T), h);
    const std::uint64_t mine[3] = {X.rows(), X_val.rows(), h};
    const std::vector<std::uint64_t> all = comm.all_gather(std::span<const std::uint64_t>(mine, 3));
    std::string rows;
    for (std::size_t r = 0; r < all.size(); r += 3)
        append(rows, "%s%llu+%llu", r ? "," : "", static_cast<unsigned long long>(all[r]),
               static_cast<unsigned long long>(all[r + 1]));
    return format("rows %s, %zu inputs, %zu outputs, contents %016llx", rows.c_str(), X.cols(), Y.cols(),
                  static_cast<unsigned long long>(digest(all.data(), all.size() * sizeof(std::uint64_t))));
}

/// The largest |x| of M, for messages.
template <Real T>
double largest(MatrixView<const T> M) {
    double m = 0;
    for (const T x : M) m = std::max(m, double(std::abs(x)));
    return m;
}

/// What a run is, decided once before it starts: the samples over every process (shards), the
/// batch and the batches an epoch, whether the validation data is a classification, the
/// optimizer's own rate (which a schedule scales), and the run's identity (a checkpoint's key).
template <Real T>
struct Plan {
    Shards shards;
    std::size_t batch = 0, batches = 0;
    bool classify = false;
    T base_rate = 0;
    Identity identity;
};

/// Checks what this process was given, once (in a distributed run every process checks its own
/// part, all throw if one fails, and all must have been given the same network and options),
/// and plans the run.
template <Real T, class Optimizer, class Comm>
Plan<T> plan_run(const Comm& comm, const NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y,
                 const Optimizer& optimizer, const TrainOptions& options, MatrixView<const T> X_val,
                 MatrixView<const T> Y_val, bool validate) {
    constexpr bool has_rate = HasRate<Optimizer, T>;
    collectively(comm, [&] {
        check_options(options, has_rate, SavesState<Optimizer>);
        check_part<T, Comm>(net, X, Y, "X", "Y");
        if (validate) check_part<T, Comm>(net, X_val, Y_val, "X_val", "Y_val");
        check_optimizer(optimizer, net, X.rows());
    });
    Plan<T> plan;
    if constexpr (has_rate) plan.base_rate = T(optimizer.rate());
    plan.identity = identity_of(net, options, plan.base_rate, validate, comm.size());
    std::uint64_t setup = 0;
    for (const auto& [key, value] : plan.identity)
        setup = digest(value.data(), value.size(), digest(key.data(), key.size(), setup));
    if (!same_everywhere(comm, setup))
        fail("the processes were given different networks (architecture, activations, loss) or TrainOptions; every "
             "rank needs the same");
    plan.shards = gather_shards(comm, X.rows(), X_val.rows());
    const std::size_t n = plan.shards.n;
    if (n == 0) fail("no process holds a training sample: X has no rows on any of the %d ranks", comm.size());
    if (validate && plan.shards.n_val == 0)
        fail("no process holds a validation sample: X_val has no rows on any of the %d ranks", comm.size());
    std::uint64_t regression = validate && !is_classification(Y_val);
    comm.max(std::span<std::uint64_t>(&regression, 1));
    plan.classify = validate && regression == 0;
    const std::size_t asked = options.batch_size ? std::size_t(options.batch_size) : full_batch<Optimizer>() ? n : 32;
    plan.batch = std::min(asked, n), plan.batches = (n + plan.batch - 1) / plan.batch;
    if (full_batch<Optimizer>() && plan.batches > 1)
        fail("this optimizer works on the whole training set at once: TrainOptions.batch_size is %zu, it must be at "
             "least the number of samples, %zu, or 0 (the default), which gives it every sample",
             std::size_t(options.batch_size), n);
    if (!options.checkpoint.empty()) plan.identity.emplace_back("data", data_identity<T>(comm, X, Y, X_val, Y_val));
    return plan;
}

/// With options.resume, the run as the checkpoint file holds it, when there is one (rank 0 reads
/// it, every process takes it): net, optimizer and run are then the checkpoint's.
template <Real T, class Optimizer, class Comm>
void resume_run(const Comm& comm, const TrainOptions& options, const Plan<T>& plan, NN<T>& net, Optimizer& optimizer,
                Run<T, Optimizer>& run) {
    if (!options.resume) return;
    std::string bytes;
    bool found = false;
    collectively(comm, [&] {
        if (comm.rank() != 0) return;
        found = file_exists(options.checkpoint);
        if (found) bytes = read_file(options.checkpoint);
    });
    comm.broadcast(bytes, 0);
    std::uint64_t exists = found;
    comm.max(std::span<std::uint64_t>(&exists, 1));
    if (exists)
        collectively(comm, [&] {
            read_checkpoint(bytes, options.checkpoint.c_str(), net, optimizer, run, plan.identity,
                            {options.epochs, plan.batches, options.patience});
        });
}

/// This process's part of the batch of samples order[first .. first + count): the rows of its
/// shard (rows offset .. offset + X.rows() of all), in place when the samples are in order, else
/// gathered into Xb, Yb (`mine` lists them).
template <Real T>
std::pair<MatrixView<const T>, MatrixView<const T>>
batch_part(MatrixView<const T> X, MatrixView<const T> Y, const std::vector<std::size_t>& order, bool shuffled,
           std::size_t offset, std::size_t first, std::size_t count, std::vector<std::size_t>& mine, Matrix<T>& Xb,
           Matrix<T>& Yb) {
    if (!shuffled) {
        const std::size_t begin = std::clamp(first, offset, offset + X.rows()),
                          end = std::clamp(first + count, offset, offset + X.rows());
        return {X.rows(begin - offset, end - begin), Y.rows(begin - offset, end - begin)};
    }
    mine.clear();
    for (std::size_t k = first; k < first + count; ++k)
        if (order[k] - offset < X.rows()) mine.push_back(order[k] - offset);
    return {gather_rows<T>(X, mine.data(), mine.size(), Xb), gather_rows<T>(Y, mine.data(), mine.size(), Yb)};
}

/// The validation cost, and the accuracy when `classify`, of net on every process's X_val, Y_val
/// (n_val rows in all), into stats.
template <Real T, class Comm>
void validation_figures(const Comm& comm, const NN<T>& net, MatrixView<const T> X_val, MatrixView<const T> Y_val,
                        std::size_t n_val, bool classify, Workspace<T>& ws, EpochStats& stats) {
    double sums[2] = {0, 0}; // the cost and the samples classified right, times the rows
    sum_collectively(comm, std::span<double>(sums, 2), [&] {
        if (X_val.rows() == 0) return;
        const double rows = double(X_val.rows());
        sums[0] = double(net.cost(X_val, Y_val, ws));
        if (classify) sums[1] = accuracy<T>(ws.output(), Y_val);
        if (comm.size() > 1) sums[0] *= rows, sums[1] = std::round(sums[1] * rows);
    });
    const double parts = comm.size() > 1 ? double(n_val) : 1.0;
    stats.val_cost = sums[0] / parts;
    if (classify) stats.val_accuracy = sums[1] / parts;
}

/// The last point a line search measured (its parameters, cost and gradient), when every step
/// sees the same batch: often the point it accepts, whose cost and gradient the next step then
/// reuses rather than computes again.
template <Real T>
struct LastTrial {
    std::vector<T> parameters;
    BatchVotes votes;
    Gradient<T> g;
    bool valid = false;

    void keep(const NN<T>& trial, const BatchVotes& v, const Gradient<T>& at) {
        parameters.assign(trial.parameters().begin(), trial.parameters().end());
        votes = v;
        g = at;
        valid = true;
    }
    /// True, with its votes and gradient, when net is at the point kept; forgets it either way.
    bool reuse(const NN<T>& net, Gradient<T>& into, BatchVotes& v) {
        const std::span<const T> now = net.parameters();
        const bool same = valid && std::equal(now.begin(), now.end(), parameters.begin(), parameters.end());
        if (same) {
            v = votes;
            std::copy(g.values().begin(), g.values().end(), into.values().begin());
        }
        valid = false;
        return same;
    }
};

/// Early stopping's bookkeeping after epoch run.epoch, whose monitored cost is `monitored`
/// (`improved`: below the best by options.min_delta): the best epoch's state kept when patience is
/// set. True when patience is spent.
template <Real T, class Optimizer>
bool watch_best(Run<T, Optimizer>& run, const TrainOptions& options, bool improved, double monitored, const NN<T>& net,
                const Optimizer& optimizer) {
    if (!improved) return options.patience > 0 && ++run.waited >= options.patience;
    run.best_cost = monitored;
    run.history.best_epoch = run.epoch;
    run.waited = 0;
    if (options.patience > 0) {
        if (run.best)
            run.best->take(net, optimizer);
        else
            run.best.emplace(net, optimizer);
    }
    return false;
}

/// options.on_epoch on every process, then one decision for all: true when any process's callback
/// returned Next::Stop. An exception from one is thrown on every process (on a single one, it
/// leaves as it was thrown); processes whose parameters differ are an nn::Error.
template <Real T, class Comm>
bool call_on_epoch(const Comm& comm, const TrainOptions& options, const EpochStats& stats, const NN<T>& net) {
    bool stop = false;
    std::string error;
    const auto call = [&] { stop = options.on_epoch && options.on_epoch(stats) == Next::Stop; };
    if constexpr (Comm::distributed)
        error = error_of(call);
    else
        call();
    const std::uint64_t same = comm.size() > 1 ? digest(net.parameters().data(), net.parameter_count() * sizeof(T)) : 0;
    return decide(comm, error, stop, false, false, same, stats.epoch).stop;
}

template <Real T, class Optimizer, class Comm = Solo>
History train(NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, Optimizer& optimizer,
              const TrainOptions& options, MatrixView<const T> X_val, MatrixView<const T> Y_val, bool validate,
              const Comm& comm = {}) {
    static_assert(Communicator<Comm>);
    constexpr bool has_rate = HasRate<Optimizer, T>;
    const bool root = comm.rank() == 0;
    const Plan<T> plan = plan_run(comm, net, X, Y, optimizer, options, X_val, Y_val, validate);
    const std::size_t n = plan.shards.n, batch = plan.batch, batches = plan.batches;
    const bool checkpointing = !options.checkpoint.empty();

    // The run: from its checkpoint, or from the start (every process from rank 0's parameters).
    // What a failure puts back (when early stopping has no best epoch): the state nn::train was
    // called with, or resumed from. (Not the last epoch's: a copy of every parameter and the
    // optimizer's state each epoch costs a training step of one batch a tenth of its time; a run
    // that must lose nothing writes checkpoints.)
    Snapshot<T, Optimizer> start(net, optimizer);
    Run<T, Optimizer> run;
    resume_run(comm, options, plan, net, optimizer, run);
    const bool first_step = run.epoch + run.batch == 0; // no step taken yet: a failure is the data's
    if (first_step)
        broadcast_parameters(net, comm, 0);
    else
        start.take(net, optimizer);
    const bool terminal = stderr_is_terminal();
    ProgressPrinter progress(
        root && (options.progress == Progress::Bar || (options.progress == Progress::Auto && terminal)),
        root && options.progress != Progress::Quiet, options.progress == Progress::Auto && !terminal, options.epochs);
    const double started = now_seconds() - run.seconds;
    const auto save = [&] { // the checkpoint, by rank 0: "" or why it was not written
        run.seconds = now_seconds() - started;
        std::string error = root ? write_checkpoint(options.checkpoint, net, optimizer, run, plan.identity) : "";
        comm.broadcast(error, 0);
        if (!error.empty()) progress.note("checkpoint not written: " + error + "; training goes on");
        return error;
    };
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
    } const rate_guard{optimizer, scheduled, plan.base_rate};

    // Room for the epochs' figures up front (up to 65,536 of them): growing the vector epoch by
    // epoch cost a tiny network's run more than its training steps.
    run.history.epochs.reserve(std::min<std::size_t>(options.epochs, std::size_t(1) << 16));
    std::vector<std::size_t> order(n), mine; // mine: this process's rows of a batch
    Matrix<T> Xb, Yb;                        // the batch, gathered
    Gradient<T> g;
    Workspace<T> val_ws;
    LastTrial<T> searched;
    const bool same_batch = batches == 1 && !options.shuffle;
    std::size_t epoch = run.epoch + 1, b = run.batch; // where training is, for the messages
    const auto failed = [&](const char* what) {
        if (first_step && epoch == 1 && b == 0)
            fail("training cannot start: at epoch 1, batch 1 of %zu, before any step, %s: the inputs (largest |x| "
                 "%.3g) or targets (largest |y| %.3g) are too large for %s; scale them (nn::Standardizer)",
                 batches, what, largest(X), largest(Y), sizeof(T) == 4 ? "float" : "double");
        fail("training diverged at epoch %zu, batch %zu of %zu: %s; lower the learning rate", epoch, b + 1, batches,
             what);
    };
    try {
        EpochClock clock(progress.prints_epochs() || options.on_epoch || checkpointing || options.max_seconds > 0);
        for (; !run.finished && epoch <= options.epochs; ++epoch, b = 0) {
            draw_order(order, options.shuffle, options.seed, epoch);
            for (; b < batches; ++b) {
                const std::size_t first = b * batch, count = std::min(batch, n - first);
                const auto part = batch_part<T>(X, Y, order, options.shuffle, plan.shards.offset, first, count, mine,
                                                Xb, Yb); // (no structured binding: Clang 14 cannot capture one)
                const MatrixView<const T> xb = part.first, yb = part.second;
                if constexpr (has_rate)
                    if (scheduled) {
                        const double t = double(epoch - 1) + double(b) / double(batches);
                        optimizer.set_rate(T(double(plan.base_rate) * options.schedule.factor(t, options.epochs)));
                    }
                // The batch's cost and gradient at `at`, summed over the processes (each computes
                // its rows' share of the batch's mean), with every process's vote to stop.
                const auto evaluate = [&](const NN<T>& at, Gradient<T>& ga) {
                    if (!ga.matches(at.arch())) ga.resize(at.arch());
                    return reduce_batch(comm, ga, xb.rows() > 0, options.stop && options.stop->requested(),
                                        [&] { return double(NetworkAccess::backprop(at, xb, yb, ga, count)); });
                };
                // A line search's last trial is often the point it accepts: on the same batch (one
                // batch, not shuffled) its cost and gradient are reused, not computed again.
                BatchVotes votes;
                if (!searched.reuse(net, g, votes)) votes = evaluate(net, g);
                if (votes.stop) { // asked to stop: before this batch's step
                    run.history.interrupted = true;
                    break;
                }
                if (!std::isfinite(votes.cost))
                    failed(std::isnan(votes.cost) ? "the cost became NaN" : "the cost became infinite");
                const auto cost_at = [&](const NN<T>& trial, Gradient<T>& at) {
                    const BatchVotes v = evaluate(trial, at);
                    if (same_batch) searched.keep(trial, v, at);
                    return v.cost;
                };
                const auto sum = [&] { // LevenbergMarquardt's sum over the processes: none for one
                    if constexpr (Comm::distributed)
                        return [&](std::span<double> values) { comm.sum(values); };
                    else
                        return NoSum{};
                }();
                StepBatch<T, decltype(cost_at), decltype(sum)> step_batch{xb, yb, cost_at, sum};
                try {
                    take_step(optimizer, net, g, votes.cost, step_batch);
                } catch (const Error& e) { // a gradient that overflowed: say where
                    failed(e.what());
                }
                // One rounding on every target: the compiler fuses a * b + c on aarch64, not in x86-64's
                // baseline code (glibc's fma is the instruction where the CPU has one).
                run.cost_sum = std::fma(votes.cost, double(count), run.cost_sum);
                run.batch = b + 1;
                progress.batch(epoch, b, batches, run.cost_sum / double(first + count), started);
            }
            if (run.history.interrupted) break;

            // The epoch's figures. The last step's parameters have not been through a backprop.
            b = batches - 1;
            if (!net.parameters_finite()) failed("a parameter became NaN or infinite");
            EpochStats& stats = run.history.epochs.emplace_back(); // filled in place: no copy of its string
            stats.epoch = epoch;
            stats.train_cost = run.cost_sum / double(n);
            if (validate) validation_figures(comm, net, X_val, Y_val, plan.shards.n_val, plan.classify, val_ws, stats);
            const double epoch_end = clock.end_epoch(run.history.epochs);

            // Early stopping and the time budget, decided once for all (rank 0's figures and clock).
            const double monitored = validate ? stats.val_cost : stats.train_cost;
            const Decision d = decide(comm, "", false,
                                      monitored<run.best_cost - options.min_delta, options.max_seconds> 0 &&
                                          epoch_end - started >= options.max_seconds,
                                      0, epoch);
            run.epoch = epoch, run.batch = 0, run.cost_sum = 0;
            const bool patience_spent = watch_best(run, options, d.improved, monitored, net, optimizer);
            const bool stalled_now = stalled(optimizer); // nn::LBFGS, nn::LevenbergMarquardt: no lower cost found
            run.finished = patience_spent || d.out_of_time || stalled_now || epoch == options.epochs;
            run.history.stopped_early = run.finished && epoch < options.epochs;
            progress.epoch(stats, validate, plan.classify);

            // The checkpoint, by one process; then on_epoch, on every one, and one decision.
            if (checkpointing && (epoch % options.checkpoint_every == 0 || run.finished))
                stats.checkpoint_error = save();
            if (call_on_epoch(comm, options, stats, net) && !run.finished) {
                run.finished = true;
                run.history.stopped_early = epoch < options.epochs;
                if (checkpointing) stats.checkpoint_error = save();
            }
        }
        clock.read(run.history.epochs);
        progress.finish();
        if (run.history.interrupted && checkpointing) save();
    } catch (...) {
        progress.finish();
        // Training cannot go on: the best epoch's state when early stopping keeps one, else the
        // state at the start, before the exception leaves.
        (run.best ? *run.best : start).restore(net, optimizer);
        try {
            throw;
        } catch (const Error& e) {
            if (run.best)
                fail("%s; the network holds the parameters of epoch %zu, the best so far", e.what(),
                     run.history.best_epoch);
            fail("%s; the network holds the parameters it had %s", e.what(),
                 first_step ? "before nn::train" : "when nn::train resumed");
        }
    }
    if (run.best)
        run.best->restore(net, optimizer); // early stopping: the best epoch's parameters
    else
        run.history.best_epoch = run.history.epochs.size();
    return std::move(run.history);
}

} // namespace detail

/// Trains `net` on X, Y with minibatches: each epoch, in a new order when options.shuffle is set,
/// one optimizer step per batch (any optimizer of optimizer.hpp's protocol: nn::SGD, nn::Adam,
/// nn::IRprop, nn::LBFGS, nn::LevenbergMarquardt, or your own). The same seed gives bit-identical
/// weights; so does a run resumed from its checkpoint (options.resume).
///
/// When training cannot go on (a NaN or infinite cost, gradient or parameter: nn::Error naming
/// the epoch and batch; or an exception from on_epoch), the network and the optimizer are put
/// back before the exception leaves: to the best epoch's state when early stopping has kept one,
/// else to the state the call began with (or resumed from). The message of the nn::Error says
/// which. A checkpoint that cannot be written is no such failure: it is reported and training
/// goes on.
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

/// Data whose numbers are not the network's type (an nn::NN<double> given Matrix<float>, or the
/// reverse): one message, not a page of candidates that do not match.
template <Real T, class Optimizer, class Data, class... Rest>
requires(!std::is_convertible_v<const Data&, MatrixView<const T>>) History
    train(NN<T>&, const Data&, const Data&, Optimizer&, const Rest&...) {
    static_assert(sizeof(Data) == 0, "nn::train: the data's numbers are not of the network's type (say, NN<double> "
                                     "and Matrix<float>): make both float or both double");
    return {};
}

} // namespace nn
