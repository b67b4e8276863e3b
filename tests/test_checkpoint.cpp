// Checkpoints: a run of nn::train stopped anywhere and resumed ends with the bits of the run that
// was never stopped, for every optimizer, schedule and early stopping; a checkpoint that does not
// match, or is not whole, is refused before anything changes; and stopping on request.
// (tests/resume.cpp does the same with processes killed by SIGKILL.)
#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include <nn/nn.hpp>

namespace {

// Two blobs in 2-D, one-hot labels.
struct Blobs {
    nn::Matrix<float> X, Y;
    explicit Blobs(std::uint64_t seed, std::size_t n = 120) : X(n, 2), Y(n, 2) {
        nn::Rng rng(seed);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t c = i % 2;
            X(i, 0) = (c ? 1.0f : -1.0f) + rng.uniform(-1.2f, 1.2f);
            X(i, 1) = (c ? -1.0f : 1.0f) + rng.uniform(-1.2f, 1.2f);
            Y(i, c) = 1;
        }
    }
};

nn::NN<float> fresh(nn::Loss loss = nn::Loss::CrossEntropy) {
    return loss == nn::Loss::CrossEntropy
               ? nn::NN<float>({2, 8, 2}, nn::Activation::Tanh, nn::Activation::Softmax, loss, {.seed = 4})
               : nn::NN<float>({2, 8, 2}, nn::Activation::Tanh, nn::Activation::Sigmoid, loss, {.seed = 4});
}

/// The figures of a history that must be the same bits: every epoch's costs and accuracy.
std::vector<double> figures(const nn::History& h) {
    std::vector<double> out;
    for (const auto& e : h.epochs) out.insert(out.end(), {e.train_cost, e.val_cost, e.val_accuracy});
    out.push_back(double(h.best_epoch));
    out.push_back(double(h.stopped_early));
    return out;
}
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0) return false;
    return true;
}

/// Trains without interruption, then again stopped after each of `stops` steps in turn (each time
/// in a new network and optimizer, as a new process would) and resumed, and checks that the
/// resumed run ends with the same parameters, history and optimizer state, bit for bit.
template <class Optimizer, class Make>
void check_resume(const char* what, Make make, nn::TrainOptions options, const Blobs& data, const Blobs* val,
                  std::vector<std::size_t> stops, nn::Loss loss = nn::Loss::CrossEntropy) {
    INFO(what);
    options.progress = nn::Progress::Quiet;
    const auto run = [&](nn::NN<float>& net, auto& opt, const nn::TrainOptions& o) {
        return val ? nn::train(net, data.X, data.Y, opt, o, val->X, val->Y) : nn::train(net, data.X, data.Y, opt, o);
    };
    nn::NN<float> reference = fresh(loss);
    Optimizer reference_opt = make();
    const nn::History expected = run(reference, reference_opt, options);
    REQUIRE(expected.epochs.size() > 1);

    const test::Folder folder;
    options.checkpoint = folder.file("run.ckpt");
    options.resume = true;
    nn::StopFlag flag;
    std::size_t interrupted = 0;
    for (const std::size_t steps : stops) {
        flag.reset();
        nn::NN<float> net = fresh(loss);
        test::StopAfter<Optimizer> opt(make(), flag, steps);
        nn::TrainOptions o = options;
        o.stop = &flag;
        const nn::History h = run(net, opt, o);
        interrupted += h.interrupted;
        CHECK(std::filesystem::exists(options.checkpoint));
    }
    CHECK(interrupted >= stops.size() - 1); // (the last may come after the run's end)
    nn::NN<float> net = fresh(loss);
    Optimizer opt = make();
    const nn::History resumed = run(net, opt, options);
    CHECK(!resumed.interrupted);
    CHECK(test::parameters(net) == test::parameters(reference));
    CHECK(same_bits(figures(resumed), figures(expected)));
    nn::OptimizerState a(net.arch()), b(net.arch());
    opt.save(a);
    reference_opt.save(b);
    CHECK(a.numbers() == b.numbers());
    CHECK(a.arrays().size() == b.arrays().size());
    for (std::size_t k = 0; k < std::min(a.arrays().size(), b.arrays().size()); ++k) {
        std::vector<double> x, y;
        a.read<double>(a.arrays()[k].name, x);
        b.read<double>(b.arrays()[k].name, y);
        CHECK(same_bits(x, y));
    }
    // The finished run's checkpoint resumes to the same end again, training nothing.
    nn::NN<float> again = fresh(loss);
    Optimizer again_opt = make();
    const nn::History replay = run(again, again_opt, options);
    CHECK(test::parameters(again) == test::parameters(reference));
    CHECK(same_bits(figures(replay), figures(expected)));
}

} // namespace

TEST_CASE("a run stopped between any two batches and resumed ends with the bits of the run never stopped") {
    const Blobs data(1), val(2, 60);
    // 120 samples, batches of 16: 8 batches an epoch; stops in the middle of epochs and at their ends.
    check_resume<nn::SGD<float>>("SGD with momentum, shuffled, step schedule",
                                 [] { return nn::SGD<float>(0.05f, 0.9f); },
                                 {.epochs = 6, .batch_size = 16, .seed = 5, .schedule = nn::Schedule::step(2, 0.5)},
                                 data, nullptr, {3, 8, 13, 1});
    check_resume<nn::SGD<float>>("Nesterov SGD with weight decay, not shuffled",
                                 [] { return nn::SGD<float>(0.05f, 0.8f, true, 1e-3f); },
                                 {.epochs = 5, .batch_size = 16, .shuffle = false}, data, nullptr, {5, 11});
    check_resume<nn::Adam<float>>("Adam, cosine schedule with warm-up, early stopping on validation",
                                  [] { return nn::Adam<float>(0.03f); },
                                  {.epochs = 40,
                                   .batch_size = 16,
                                   .seed = 9,
                                   .patience = 3,
                                   .min_delta = 1e-3,
                                   .schedule = nn::Schedule::cosine(0, 0.1).warm_up(1.5)},
                                  data, &val, {2, 20, 9, 40});
    check_resume<nn::Adam<float>>(
        "Adam, exponential schedule, unshuffled, validation",
        [] { return nn::Adam<float>(0.02f, 0.8f, 0.99f, 1e-7f, 1e-4f); },
        {.epochs = 6, .batch_size = 50, .shuffle = false, .schedule = nn::Schedule::exponential(0.9)}, data, &val,
        {1, 4, 7});
    const std::size_t all = data.X.rows();
    check_resume<nn::IRprop<float>>(
        "iRPROP-, full batch", [] { return nn::IRprop<float>(); }, {.epochs = 30, .batch_size = all, .shuffle = false},
        data, &val, {1, 7, 15}, nn::Loss::MSE);
    check_resume<nn::LBFGS<float>>("L-BFGS, full batch", [] { return nn::LBFGS<float>(); },
                                   {.epochs = 25, .batch_size = all, .shuffle = false}, data, nullptr, {3, 4, 12});
    check_resume<nn::LevenbergMarquardt<float>>(
        "Levenberg-Marquardt, full batch", [] { return nn::LevenbergMarquardt<float>(); },
        {.epochs = 12, .batch_size = all, .shuffle = false}, data, &val, {2, 5}, nn::Loss::MSE);
}

TEST_CASE("a checkpoint that does not match the run is refused, naming what differs, and nothing changes") {
    const Blobs data(3), other(4);
    const test::Folder folder;
    const std::string path = folder.file("run.ckpt");
    nn::TrainOptions options{.epochs = 2, .batch_size = 16, .progress = nn::Progress::Quiet, .checkpoint = path};
    {
        nn::NN<float> net = fresh();
        nn::Adam<float> adam(0.01f);
        nn::train(net, data.X, data.Y, adam, options);
    }
    std::string bytes = test::read_bytes(path);
    options.resume = true;
    const auto refused = [&](auto&& train, const std::string& what) {
        INFO(what);
        std::string message;
        try {
            train();
        } catch (const nn::Error& e) {
            message = e.what();
        }
        CHECK(message.find(path + ": cannot resume from it: ") == 0);
        CHECK(message.find(what) != std::string::npos);
        MESSAGE(message);
        CHECK(test::read_bytes(path) == bytes); // the checkpoint stays as it was
        return message;
    };
    nn::NN<float> net = fresh();
    const auto before = test::parameters(net);
    nn::Adam<float> adam(0.01f);
    refused([&] { nn::train(net, other.X, other.Y, adam, options); }, "it was made with data 'rows 120+0, 2 inputs");
    nn::TrainOptions bigger = options;
    bigger.batch_size = 32;
    refused([&] { nn::train(net, data.X, data.Y, adam, bigger); },
            "it was made with batch_size '16', this run has '32'");
    nn::TrainOptions seeded = options;
    seeded.seed = 1;
    refused([&] { nn::train(net, data.X, data.Y, adam, seeded); }, "seed '0', this run has '1'");
    nn::Adam<float> faster(0.02f);
    refused([&] { nn::train(net, data.X, data.Y, faster, options); }, "rate '0.01', this run has '0.02'");
    nn::Adam<float> other_beta(0.01f, 0.5f);
    refused([&] { nn::train(net, data.X, data.Y, other_beta, options); },
            "the checkpoint's adam has beta1 0.899999976");
    nn::SGD<float> sgd(0.01f);
    refused([&] { nn::train(net, data.X, data.Y, sgd, options); }, "the optimizer 'adam', this one is 'sgd'");
    nn::NN<float> wider({2, 9, 2}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    refused([&] { nn::train(wider, data.X, data.Y, adam, options); },
            "it was made with network 'float 2,8,2 tanh,softmax cross_entropy', this run has 'float 2,9,2");
    CHECK(test::parameters(net) == before);
    CHECK(adam.steps() == 0);
    CHECK_THROWS_WITH_AS(nn::train(net, data.X, data.Y, adam, {.resume = true}),
                         "TrainOptions.resume needs a TrainOptions.checkpoint to resume from", nn::Error);
    // A network saved by nn::save is no checkpoint.
    nn::save(net, path);
    bytes = test::read_bytes(path);
    refused([&] { nn::train(net, data.X, data.Y, adam, options); }, "it is not a checkpoint of nn::train");
}

TEST_CASE("a checkpoint cut short or changed anywhere never starts a run from garbage") {
    const Blobs data(5, 40);
    const test::Folder folder;
    const std::string path = folder.file("run.ckpt");
    nn::TrainOptions options{.epochs = 3, .batch_size = 8, .progress = nn::Progress::Quiet, .checkpoint = path};
    {
        nn::NN<float> net = fresh();
        nn::Adam<float> adam(0.01f);
        nn::StopFlag flag;
        test::StopAfter<nn::Adam<float>> stopping(adam, flag, 7);
        options.stop = &flag;
        nn::train(net, data.X, data.Y, stopping, options);
        options.stop = nullptr;
    }
    const std::string whole = test::read_bytes(path);
    options.resume = true;
    const std::string copy = folder.file("copy.ckpt");
    options.checkpoint = copy;
    std::size_t refused = 0, accepted = 0;
    const auto attempt = [&](const std::string& bytes) {
        test::write_bytes(copy, bytes);
        nn::NN<float> net = fresh();
        const auto before = test::parameters(net);
        nn::Adam<float> adam(0.01f);
        try {
            nn::train(net, data.X, data.Y, adam, options);
            ++accepted;
        } catch (const nn::Error&) {
            ++refused;
            CHECK(test::parameters(net) == before);
            CHECK(adam.steps() == 0);
        }
    };
    for (std::size_t size = 0; size < whole.size(); size += 1 + size / 64) attempt(whole.substr(0, size));
    CHECK(accepted == 0); // every truncation refused
    nn::Rng rng(9);
    for (int k = 0; k < 300; ++k) { // one byte changed: refused, or a whole file that trains
        std::string bytes = whole;
        bytes[rng.below(bytes.size())] ^= char(1 + rng.below(255));
        attempt(bytes);
    }
    CHECK(refused > 0);
    attempt(whole);
    CHECK(accepted >= 1);
}

TEST_CASE("a stop request ends training between batches, keeps the best epoch and writes where it was") {
    const Blobs data(6), val(7, 60);
    const test::Folder folder;
    const std::string path = folder.file("run.ckpt");
    nn::NN<float> net = fresh();
    nn::Adam<float> adam(0.02f);
    nn::StopFlag flag;
    test::StopAfter<nn::Adam<float>> stopping(adam, flag, 8 * 5 + 3); // epoch 6, after batch 3
    const auto h = nn::train(net, data.X, data.Y, stopping,
                             {.epochs = 50,
                              .batch_size = 16,
                              .patience = 20,
                              .progress = nn::Progress::Quiet,
                              .checkpoint = path,
                              .checkpoint_every = 100,
                              .stop = &flag},
                             val.X, val.Y);
    CHECK(h.interrupted);
    CHECK(h.stopped_early == false);
    CHECK(h.epochs.size() == 5);
    CHECK(test::parameters(net) == test::parameters(nn::load<float>(path))); // the best, in the checkpoint too
    CHECK(h.best_epoch >= 1);
    // The same flag from a signal: StopOnSignals turns SIGINT into it, once.
    nn::StopFlag ctrl_c;
    const auto program_handler = std::signal(SIGINT, SIG_IGN); // (doctest's, or the default)
    std::signal(SIGINT, program_handler);
    {
        nn::StopOnSignals guard(ctrl_c);
        CHECK_THROWS_WITH_AS(nn::StopOnSignals{ctrl_c}, "an nn::StopOnSignals is already installed; one at a time",
                             nn::Error);
        nn::NN<float> other = fresh();
        nn::Adam<float> adam2(0.02f);
        const auto h2 = nn::train(other, data.X, data.Y, adam2,
                                  {.epochs = 50,
                                   .batch_size = 16,
                                   .progress = nn::Progress::Quiet,
                                   .on_epoch =
                                       [](const nn::EpochStats& e) {
                                           if (e.epoch == 2) std::raise(SIGINT);
                                       },
                                   .stop = &ctrl_c});
        CHECK(ctrl_c.requested());
        CHECK(h2.interrupted);
        CHECK(h2.epochs.size() == 2);
        CHECK(adam2.steps() == 2 * 8);
    }
    const bool restored = std::signal(SIGINT, program_handler) == program_handler; // the program's handler, back
    CHECK(restored);
}
