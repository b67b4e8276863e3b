// Data-parallel training over MPI (nn/mpi.hpp), run by CTest under mpirun with 1, 2 and 3
// processes. Every process runs every test case, and each case is collective: all processes take
// part in each training run and each comparison (so CHECK, never REQUIRE, which would leave the
// others waiting). Each process also trains the single-process network on all the rows, which
// the distributed run must reproduce.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "helpers.hpp"
#include <nn/mpi.hpp>
#include <nn/nn.hpp>

namespace {

const nn::mpi::Communicator& world() {
    static const nn::mpi::Communicator comm;
    return comm;
}

/// Three classes in 4-D around three centres, one-hot; `n` rows, the same on every process.
template <class T>
struct Blobs {
    nn::Matrix<T> X, Y;
    Blobs(std::uint64_t seed, std::size_t n) : X(n, 4), Y(n, 3) {
        nn::Rng rng(seed);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t c = rng.below(3);
            for (std::size_t j = 0; j < 4; ++j) X(i, j) = T(j % 3 == c ? 1 : -0.5) + rng.uniform(T(-0.9), T(0.9));
            Y(i, c) = 1;
        }
    }
};

/// The rows of a split that is not even: shares 1, 3, 0, 2, 1, 3, 0, ... by rank (with 3 ranks,
/// the last one's shard is empty).
nn::mpi::Rows uneven(std::size_t n, const nn::mpi::Communicator& comm) {
    const auto share = [](int r) { return std::size_t(std::vector<int>{1, 3, 0, 2}[std::size_t(r % 4)]); };
    std::size_t total = 0, before = 0;
    for (int r = 0; r < comm.size(); ++r) {
        if (r == comm.rank()) before = total;
        total += share(r);
    }
    const std::size_t first = n * before / total, last = n * (before + share(comm.rank())) / total;
    return {first, comm.rank() == comm.size() - 1 ? n - first : last - first};
}

template <class T>
nn::MatrixView<const T> part(const nn::Matrix<T>& M, nn::mpi::Rows rows) {
    return M.view().rows(rows.first, rows.count);
}

/// max |a - b| / max |a|: how far b is from a, relative to a's largest parameter.
template <class T>
double relative_difference(const nn::NN<T>& a, const nn::NN<T>& b) {
    const std::vector<T> x = test::parameters(a), y = test::parameters(b);
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        diff = std::max(diff, std::abs(double(x[i]) - double(y[i])));
        scale = std::max(scale, std::abs(double(x[i])));
    }
    return x.size() == y.size() ? diff / scale : INFINITY;
}

template <class T>
bool same_on_every_process(const nn::NN<T>& net) {
    return nn::detail::same_everywhere(world(),
                                       nn::detail::digest(net.parameters().data(), net.parameter_count() * sizeof(T)));
}
bool same_on_every_process(const std::string& text) {
    return nn::detail::same_everywhere(world(), nn::detail::digest(text.data(), text.size()));
}
bool true_on_every_process(bool b) {
    std::uint64_t failed = !b;
    world().max(std::span<std::uint64_t>(&failed, 1));
    return failed == 0;
}

template <class T>
nn::NN<T> classifier(std::uint64_t seed = 3) {
    return nn::NN<T>({4, 12, 3}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy, {.seed = seed});
}

/// What the runs of one optimizer come to: the single-process network, the distributed one,
/// and their histories.
template <class T>
struct Runs {
    nn::NN<T> single, distributed;
    nn::History single_history, distributed_history;
};

/// Trains `start` on all of data with nn::train, and on this process's `rows` of it with
/// nn::mpi::train; validation on `val` (its `val_rows` here) when it has rows. The distributed
/// run starts on every rank but 0 from other weights, which rank 0's replace.
template <class T, class Optimizer>
Runs<T> train_both(const nn::NN<T>& start, const Blobs<T>& data, const Blobs<T>& val, Optimizer optimizer,
                   const nn::TrainOptions& options, nn::mpi::Rows rows, nn::mpi::Rows val_rows) {
    Runs<T> runs{start, start, {}, {}};
    if (world().rank() != 0) // rank 0's parameters replace these
        for (std::size_t l = 0; l < start.layers(); ++l) runs.distributed.weights(l).fill(T(world().rank()));
    Optimizer copy = optimizer;
    if (val.X.rows() > 0) {
        runs.single_history = nn::train(runs.single, data.X, data.Y, optimizer, options, val.X, val.Y);
        runs.distributed_history = nn::mpi::train(world(), runs.distributed, part(data.X, rows), part(data.Y, rows),
                                                  copy, options, part(val.X, val_rows), part(val.Y, val_rows));
    } else {
        runs.single_history = nn::train(runs.single, data.X, data.Y, optimizer, options);
        runs.distributed_history =
            nn::mpi::train(world(), runs.distributed, part(data.X, rows), part(data.Y, rows), copy, options);
    }
    return runs;
}

/// The checks every comparison makes: the distributed network within `tolerance` of the
/// single-process one (the same bits on one process), the same on every process, the same
/// epochs and statistics.
template <class T>
void check_agreement(const Runs<T>& runs, double tolerance) {
    const double difference = relative_difference(runs.single, runs.distributed);
    MESSAGE("rank " << world().rank() << " of " << world().size() << ": relative difference " << difference);
    CHECK(difference <= tolerance);
    if (world().size() == 1) CHECK(test::parameters(runs.single) == test::parameters(runs.distributed));
    CHECK(same_on_every_process(runs.distributed));
    CHECK(runs.distributed_history.epochs.size() == runs.single_history.epochs.size());
    CHECK(runs.distributed_history.best_epoch == runs.single_history.best_epoch);
    CHECK(runs.distributed_history.stopped_early == runs.single_history.stopped_early);
    const std::size_t epochs = std::min(runs.distributed_history.epochs.size(), runs.single_history.epochs.size());
    for (std::size_t e = 0; e < epochs; ++e) {
        const nn::EpochStats &a = runs.single_history.epochs[e], &b = runs.distributed_history.epochs[e];
        CHECK(b.train_cost == doctest::Approx(a.train_cost).epsilon(tolerance));
        if (!std::isnan(a.val_cost)) CHECK(b.val_cost == doctest::Approx(a.val_cost).epsilon(tolerance));
        if (!std::isnan(a.val_accuracy)) CHECK(b.val_accuracy == a.val_accuracy);
    }
    // The training made progress: the comparison is not between two untouched networks.
    CHECK(runs.single_history.epochs.back().train_cost < runs.single_history.epochs.front().train_cost);
}

// Float rounding: the distributed sum adds the processes' parts of each gradient in another
// order than one process's product does, a relative error of about N * 2^-24 per step.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

} // namespace

TEST_CASE_TEMPLATE("N processes train the network one process trains: SGD and Adam on shuffled minibatches", T, float,
                   double) {
    const Blobs<T> data(1, 301), val(2, 97), none(0, 0);
    const auto rows = nn::mpi::shard(data.X.rows(), world()), val_rows = nn::mpi::shard(val.X.rows(), world());
    const nn::TrainOptions options{.epochs = 12, .batch_size = 16, .seed = 5, .progress = nn::Progress::Quiet};
    check_agreement(train_both(classifier<T>(), data, none, nn::SGD<T>(T(0.1)), options, rows, {}), tolerance<T>);
    check_agreement(train_both(classifier<T>(), data, val, nn::Adam<T>(T(0.01)), options, rows, val_rows),
                    tolerance<T>);
}

TEST_CASE_TEMPLATE("N processes: shards of any size, one of them empty, and the last batch smaller", T, float, double) {
    const Blobs<T> data(3, 250), val(4, 61);
    const auto rows = uneven(data.X.rows(), world()), val_rows = uneven(val.X.rows(), world());
    const nn::TrainOptions options{.epochs = 8, .batch_size = 7, .seed = 9, .progress = nn::Progress::Quiet};
    check_agreement(train_both(classifier<T>(), data, val, nn::Adam<T>(T(0.01)), options, rows, val_rows),
                    tolerance<T>);
    // Without shuffling a batch is a block of rows, which may span two shards or lie in one.
    nn::TrainOptions ordered = options;
    ordered.shuffle = false;
    ordered.batch_size = 40;
    check_agreement(train_both(classifier<T>(), data, val, nn::SGD<T>(T(0.2)), ordered, rows, val_rows), tolerance<T>);
}

TEST_CASE_TEMPLATE("N processes: the full-batch trainers, iRPROP-, L-BFGS and Levenberg-Marquardt", T, float, double) {
    const Blobs<T> data(5, 200), val(6, 50);
    const auto rows = nn::mpi::shard(data.X.rows(), world()), val_rows = nn::mpi::shard(val.X.rows(), world());
    const nn::TrainOptions options{
        .epochs = 15, .batch_size = data.X.rows(), .shuffle = false, .progress = nn::Progress::Quiet};
    check_agreement(train_both(classifier<T>(), data, val, nn::IRprop<T>(), options, rows, val_rows), tolerance<T>);
    // L-BFGS in float and Levenberg-Marquardt in double amplify any rounding from step to step
    // (through the gradient differences of L-BFGS's curvature pairs; through the conditioning of
    // J^T J): one process trained on the same rows in another order ends, L-BFGS in float, 2.8e-7
    // apart after 5 iterations, 5.6e-6 after 15 and 1.7e-4 after 30; LM in double 3.3e-13 after
    // 5 and 5.7e-12 after 15. Those two are compared after 5 steps, where rounding is all there
    // is to compare; the others after 15.
    nn::TrainOptions short_run = options;
    short_run.epochs = 5;
    check_agreement(train_both(classifier<T>(), data, val, nn::LBFGS<T>(),
                               std::is_same_v<T, float> ? short_run : options, rows, val_rows),
                    tolerance<T>);
    // Levenberg-Marquardt minimises a sum of squares: a sigmoid network with the MSE loss.
    const nn::NN<T> squares({4, 6, 3}, nn::Activation::Sigmoid, nn::Activation::Sigmoid, nn::Loss::MSE, {.seed = 4});
    check_agreement(train_both(squares, data, val, nn::LevenbergMarquardt<T>(),
                               std::is_same_v<T, double> ? short_run : options, rows, val_rows),
                    tolerance<T>);
}

TEST_CASE("N processes: a layer large enough to be summed in place, beside small ones packed together") {
    // 300 x 256 = 76,800 weights: past the 65,536 from which a layer's gradient is reduced in
    // its own MPI_Allreduce; the 256 x 3 layer and the biases go in the packed one.
    nn::Rng rng(21);
    Blobs<float> data(16, 130);
    nn::Matrix<float> X(130, 300);
    for (std::size_t i = 0; i < X.rows(); ++i)
        for (std::size_t j = 0; j < X.cols(); ++j) X(i, j) = data.X(i, j % 4) + rng.uniform(-0.1f, 0.1f);
    data.X = X;
    const Blobs<float> none(0, 0);
    const nn::NN<float> net({300, 256, 3}, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    const auto rows = uneven(data.X.rows(), world());
    const nn::TrainOptions options{.epochs = 4, .batch_size = 20, .seed = 3, .progress = nn::Progress::Quiet};
    check_agreement(train_both(net, data, none, nn::Adam<float>(0.001f), options, rows, {}), tolerance<float>);
}

TEST_CASE("N processes: early stopping and the schedule decide as one process does") {
    const Blobs<float> data(7, 240), val(8, 40);
    const auto rows = uneven(data.X.rows(), world()), val_rows = nn::mpi::shard(val.X.rows(), world());
    const nn::TrainOptions options{.epochs = 60,
                                   .batch_size = 8,
                                   .seed = 2,
                                   .patience = 3,
                                   .progress = nn::Progress::Quiet,
                                   .schedule = nn::Schedule::cosine().warm_up(2)};
    const Runs<float> runs =
        train_both(classifier<float>(), data, val, nn::Adam<float>(0.05f), options, rows, val_rows);
    CHECK(runs.single_history.stopped_early); // patience ended it: the case this test is about
    check_agreement(runs, tolerance<float>);
}

TEST_CASE("two runs on the same number of processes give the same bits") {
    const Blobs<float> data(9, 199);
    const auto rows = nn::mpi::shard(data.X.rows(), world());
    const nn::TrainOptions options{.epochs = 5, .batch_size = 10, .seed = 4, .progress = nn::Progress::Quiet};
    nn::NN<float> a = classifier<float>(), b = classifier<float>();
    nn::Adam<float> adam_a(0.01f), adam_b(0.01f);
    nn::mpi::train(world(), a, part(data.X, rows), part(data.Y, rows), adam_a, options);
    nn::mpi::train(world(), b, part(data.X, rows), part(data.Y, rows), adam_b, options);
    CHECK(test::parameters(a) == test::parameters(b));
    CHECK(same_on_every_process(a));
}

TEST_CASE("bad data on one process stops every process with the same nn::Error, parameters unchanged") {
    Blobs<float> data(10, 90);
    const auto rows = nn::mpi::shard(data.X.rows(), world());
    const int last = world().size() - 1;
    if (world().rank() == last) data.X(rows.first + 3, 1) = NAN;
    nn::NN<float> net = classifier<float>();
    const std::vector<float> before = test::parameters(net);
    nn::SGD<float> sgd(0.1f);
    std::string message;
    try {
        nn::mpi::train(world(), net, part(data.X, rows), part(data.Y, rows), sgd,
                       {.epochs = 3, .progress = nn::Progress::Quiet});
    } catch (const nn::Error& e) {
        message = e.what();
    }
    MESSAGE(message);
    // The row is the one in that process's shard.
    CHECK(message.find("rank " + std::to_string(last) + ": X(3, 1) is nan; X must be finite") == 0);
    CHECK(same_on_every_process(message));
    CHECK(test::parameters(net) == before);
}

TEST_CASE("a divergence stops every process with the same nn::Error and the parameters from before") {
    const Blobs<float> data(11, 120);
    const auto rows = nn::mpi::shard(data.X.rows(), world());
    nn::NN<float> net({4, 16, 3}, nn::Activation::Linear, nn::Activation::Linear, nn::Loss::MSE);
    if (world().rank() != 0)
        net = nn::NN<float>({4, 16, 3}, nn::Activation::Linear, nn::Activation::Linear, nn::Loss::MSE, {.seed = 9});
    const std::vector<float> before = test::parameters(net);
    nn::SGD<float> sgd(1e4f);
    std::string message;
    try {
        nn::mpi::train(world(), net, part(data.X, rows), part(data.Y, rows), sgd,
                       {.epochs = 50, .batch_size = 8, .progress = nn::Progress::Quiet});
    } catch (const nn::Error& e) {
        message = e.what();
    }
    MESSAGE(message);
    CHECK(message.find("training diverged at epoch ") == 0);
    CHECK(message.find("the network holds the parameters it had before nn::train") != std::string::npos);
    CHECK(same_on_every_process(message));
    CHECK(test::parameters(net) == before); // each process's own, from before rank 0's were broadcast
}

TEST_CASE("an exception from on_epoch on one process stops every process with the same nn::Error") {
    const Blobs<float> data(12, 100), val(13, 30);
    const auto rows = nn::mpi::shard(data.X.rows(), world()), val_rows = nn::mpi::shard(val.X.rows(), world());
    const int last = world().size() - 1;
    nn::NN<float> net = classifier<float>();
    nn::Adam<float> adam(0.01f);
    std::string message;
    try {
        nn::mpi::train(world(), net, part(data.X, rows), part(data.Y, rows), adam,
                       {.epochs = 10,
                        .patience = 5,
                        .progress = nn::Progress::Quiet,
                        .on_epoch =
                            [&](const nn::EpochStats& e) {
                                if (e.epoch == 3 && world().rank() == last) throw std::runtime_error("disk full");
                            }},
                       part(val.X, val_rows), part(val.Y, val_rows));
    } catch (const nn::Error& e) {
        message = e.what();
    }
    MESSAGE(message);
    CHECK(message.find("rank " + std::to_string(last) + ": disk full; the network holds the parameters of epoch ") ==
          0);
    CHECK(same_on_every_process(message));
    CHECK(same_on_every_process(net));
}

TEST_CASE("processes given different options or networks all throw before training") {
    const Blobs<float> data(14, 60);
    const auto rows = nn::mpi::shard(data.X.rows(), world());
    nn::NN<float> net = classifier<float>();
    const std::vector<float> before = test::parameters(net);
    nn::SGD<float> sgd(0.1f);
    nn::TrainOptions options{.epochs = 2, .progress = nn::Progress::Quiet};
    if (world().rank() == world().size() - 1) options.seed = 77;
    std::string message;
    try {
        nn::mpi::train(world(), net, part(data.X, rows), part(data.Y, rows), sgd, options);
    } catch (const nn::Error& e) {
        message = e.what();
    }
    if (world().size() > 1) {
        CHECK(message.find("the processes were given different networks") == 0);
        CHECK(same_on_every_process(message));
        CHECK(test::parameters(net) == before);
    } else {
        CHECK(message.empty());
    }
    // A wrong shape on one process: its message, on all.
    nn::NN<float> wide({4, 12, 3}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    const nn::Matrix<float> Y2(rows.count, 2);
    message.clear();
    try {
        nn::mpi::train(world(), wide, part(data.X, rows), world().rank() == 0 ? Y2.view() : part(data.Y, rows), sgd,
                       {.epochs = 1, .progress = nn::Progress::Quiet});
    } catch (const nn::Error& e) {
        message = e.what();
    }
    CHECK(message == "rank 0: Y has 2 columns, the network gives 3 outputs");
    CHECK(same_on_every_process(message));
}

TEST_CASE("rank 0 alone writes the checkpoint, atomically, and its clock alone ends a timed run") {
    const Blobs<float> data(15, 120);
    const auto rows = nn::mpi::shard(data.X.rows(), world());
    // A path of each process's own (a folder per process id): only rank 0's may appear.
    const test::Folder folder;
    const std::string path = folder.file("checkpoint.safetensors");
    nn::NN<float> net = classifier<float>();
    nn::Adam<float> adam(0.01f);
    nn::mpi::train(world(), net, part(data.X, rows), part(data.Y, rows), adam,
                   {.epochs = 4, .progress = nn::Progress::Quiet, .checkpoint = path, .checkpoint_every = 2});
    const bool exists = std::filesystem::exists(path);
    CHECK(exists == (world().rank() == 0));
    if (exists) CHECK(test::parameters(nn::load<float>(path)) == test::parameters(net)); // epoch 4's, the last
    CHECK(!std::filesystem::exists(path + ".tmp"));

    // A budget of 0.25 s: rank 0's on_epoch sleeps 0.1 s an epoch, and every process stops after
    // the same epoch, the one when rank 0's clock passes the budget.
    nn::Adam<float> adam2(0.01f);
    const auto history = nn::mpi::train(
        world(), net, part(data.X, rows), part(data.Y, rows), adam2,
        {.epochs = 1000, .max_seconds = 0.25, .progress = nn::Progress::Quiet, .on_epoch = [](const nn::EpochStats&) {
             if (world().rank() == 0) usleep(100'000);
         }});
    CHECK(history.stopped_early);
    CHECK(history.epochs.size() >= 3);
    CHECK(history.epochs.size() < 1000);
    CHECK(nn::detail::same_everywhere(world(), history.epochs.size()));
}

TEST_CASE("nn::mpi::shard splits the rows into consecutive blocks differing by at most one") {
    for (const std::size_t n : {0u, 1u, 2u, 5u, 1000u, 1001u}) {
        const nn::mpi::Rows mine = nn::mpi::shard(n, world());
        const std::uint64_t here[2] = {mine.first, mine.count};
        const std::vector<std::uint64_t> all = world().all_gather(std::span<const std::uint64_t>(here, 2));
        std::uint64_t next = 0, smallest = n, largest = 0;
        for (int r = 0; r < world().size(); ++r) {
            CHECK(all[2 * std::size_t(r)] == next);
            next += all[2 * std::size_t(r) + 1];
            smallest = std::min(smallest, all[2 * std::size_t(r) + 1]);
            largest = std::max(largest, all[2 * std::size_t(r) + 1]);
        }
        CHECK(next == n);
        CHECK(largest - smallest <= 1);
    }
}

int main(int argc, char** argv) {
    nn::mpi::Session mpi(argc, argv);
    doctest::Context context(argc, argv);
    if (world().rank() != 0) context.setOption("success", false);
    const int failed = context.run();
    // Every process's outcome: the job fails when any process does.
    return true_on_every_process(failed == 0) ? 0 : 1;
}

TEST_CASE("N processes stopped by any one of them and resumed from rank 0's checkpoint end with the bits of the run "
          "never stopped") {
    const Blobs<float> data(16, 150), val(17, 40);
    const auto rows = uneven(data.X.rows(), world()), val_rows = nn::mpi::shard(val.X.rows(), world());
    const test::Folder folder; // each process's own: rank 0's alone holds the checkpoint
    nn::TrainOptions options{.epochs = 12,
                             .batch_size = 16,
                             .seed = 3,
                             .patience = 4,
                             .progress = nn::Progress::Quiet,
                             .schedule = nn::Schedule::cosine().warm_up(1)};
    const auto run = [&](nn::NN<float>& net, auto& opt, const nn::TrainOptions& o) {
        return nn::mpi::train(world(), net, part(data.X, rows), part(data.Y, rows), opt, o, part(val.X, val_rows),
                              part(val.Y, val_rows));
    };
    nn::NN<float> reference = classifier<float>();
    nn::Adam<float> reference_adam(0.02f);
    const nn::History expected = run(reference, reference_adam, options);

    options.checkpoint = folder.file("run.ckpt");
    options.resume = true;
    const int last = world().size() - 1;
    nn::StopFlag flag;
    for (const std::size_t steps : {5u, 17u, 9u}) { // on the last rank only: every rank stops with it
        flag.reset();
        nn::NN<float> net = classifier<float>();
        test::StopAfter<nn::Adam<float>> adam(nn::Adam<float>(0.02f), flag, world().rank() == last ? steps : 0);
        nn::TrainOptions o = options;
        o.stop = &flag;
        const nn::History h = run(net, adam, o);
        CHECK(true_on_every_process(h.interrupted));
        CHECK(same_on_every_process(std::to_string(adam.steps())));
    }
    CHECK(std::filesystem::exists(options.checkpoint) == (world().rank() == 0));
    nn::NN<float> net = classifier<float>();
    nn::Adam<float> adam(0.02f);
    const nn::History resumed = run(net, adam, options);
    CHECK(test::parameters(net) == test::parameters(reference));
    CHECK(adam.steps() == reference_adam.steps());
    CHECK(resumed.epochs.size() == expected.epochs.size());
    CHECK(resumed.best_epoch == expected.best_epoch);
    for (std::size_t e = 0; e < std::min(resumed.epochs.size(), expected.epochs.size()); ++e) {
        CHECK(resumed.epochs[e].train_cost == expected.epochs[e].train_cost);
        CHECK(resumed.epochs[e].val_cost == expected.epochs[e].val_cost);
    }
    CHECK(same_on_every_process(net));
}
