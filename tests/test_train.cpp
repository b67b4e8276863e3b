// nn::train: minibatches, shuffling, validation, early stopping, divergence, determinism.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "helpers.hpp"
#include <nn/train.hpp>

namespace {

// Two Gaussian-ish blobs in 2-D, one-hot labels: a problem a small network solves.
struct Blobs {
    nn::Matrix<float> X, Y;
    explicit Blobs(std::uint64_t seed, std::size_t n = 200) : X(n, 2), Y(n, 2) {
        nn::Rng rng(seed);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t c = i % 2;
            X(i, 0) = (c ? 1.0f : -1.0f) + rng.uniform(-0.8f, 0.8f);
            X(i, 1) = (c ? -1.0f : 1.0f) + rng.uniform(-0.8f, 0.8f);
            Y(i, c) = 1;
        }
    }
};

nn::NN<float> fresh() {
    nn::NN<float> net({2, 8, 2}, nn::Activation::ReLU, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    nn::Rng rng(1);
    net.init(rng);
    return net;
}

} // namespace

TEST_CASE("train learns a classification problem and reports every epoch") {
    const Blobs train(1), val(2);
    auto net = fresh();
    nn::Adam<float> adam(0.01f);
    std::vector<std::size_t> seen;
    const auto history =
        nn::train(net, train.X, train.Y, adam,
                  nn::TrainOptions{.epochs = 30,
                                   .batch_size = 16,
                                   .progress = nn::Progress::Quiet,
                                   .on_epoch = [&](const nn::EpochStats& e) { seen.push_back(e.epoch); }},
                  val.X, val.Y);
    REQUIRE(history.epochs.size() == 30);
    CHECK(seen.size() == 30);
    CHECK(seen.back() == 30);
    CHECK(history.epochs.back().train_cost < history.epochs.front().train_cost / 4);
    CHECK(history.epochs.back().val_accuracy >= 0.97);
    CHECK(nn::accuracy(net.forward(val.X), val.Y) == history.epochs.back().val_accuracy);
    CHECK(history.best_epoch == 30);
    CHECK_FALSE(history.stopped_early);
    CHECK(std::isnan(
        nn::train(net, train.X, train.Y, adam, {.epochs = 1, .progress = nn::Progress::Quiet}).epochs[0].val_cost));
}

TEST_CASE("the same seed gives bit-identical weights; another seed, others") {
    const Blobs data(3);
    auto run = [&](std::uint64_t seed) {
        auto net = fresh();
        nn::SGD<float> sgd(0.1f, 0.9f);
        nn::train(net, data.X, data.Y, sgd,
                  {.epochs = 5, .batch_size = 7, .seed = seed, .progress = nn::Progress::Quiet});
        return test::parameters(net);
    };
    CHECK(run(11) == run(11));
    CHECK(run(11) != run(12));
}

TEST_CASE("the train cost of an epoch is the size-weighted mean of its batch costs") {
    // No shuffling, one step of rate 0: the parameters never move, so every batch cost is the
    // cost of those rows under the same network, and their weighted mean is the whole cost.
    const Blobs data(4, 50);
    auto net = fresh();
    nn::SGD<float> still(0.0f);
    const auto h = nn::train(net, data.X, data.Y, still,
                             {.epochs = 1, .batch_size = 16, .shuffle = false, .progress = nn::Progress::Quiet});
    CHECK(h.epochs[0].train_cost == doctest::Approx(double(net.cost(data.X, data.Y))).epsilon(1e-6));
}

TEST_CASE("early stopping stops after `patience` epochs without progress and restores the best") {
    const Blobs train(5), val(6);
    auto net = fresh();
    nn::Adam<float> adam(0.05f);
    std::vector<nn::NN<float>> snapshots;
    const auto h = nn::train(net, train.X, train.Y, adam,
                             {.epochs = 500,
                              .batch_size = 8,
                              .patience = 3,
                              .min_delta = 1e-3,
                              .progress = nn::Progress::Quiet,
                              .on_epoch = [&](const nn::EpochStats&) { snapshots.push_back(net); }},
                             val.X, val.Y);
    REQUIRE(h.stopped_early);
    CHECK(h.epochs.size() < 500);
    CHECK(h.epochs.size() == h.best_epoch + 3);
    CHECK(test::parameters(net) == test::parameters(snapshots[h.best_epoch - 1]));
    for (const auto& e : h.epochs) CHECK(h.epochs[h.best_epoch - 1].val_cost <= e.val_cost + 1e-3);
}

TEST_CASE("a diverging run stops with nn::Error naming the epoch and batch") {
    const Blobs data(7, 64);
    nn::NN<float> net({2, 16, 2}, nn::Activation::Linear, nn::Activation::Linear);
    nn::Rng rng(1);
    net.init(rng);
    nn::SGD<float> reckless(1e6f);
    CHECK_THROWS_WITH_AS(
        nn::train(net, data.X, data.Y, reckless, {.epochs = 5, .batch_size = 16, .progress = nn::Progress::Quiet}),
        "training diverged: the cost became NaN at epoch 1, batch 3 of 4; lower the learning rate", nn::Error);
}

TEST_CASE("bad options and data throw before training") {
    const Blobs data(8, 10);
    auto net = fresh();
    const auto before = test::parameters(net);
    nn::SGD<float> sgd(0.1f);
    CHECK_THROWS_WITH_AS(nn::train(net, data.X, data.Y, sgd, {.batch_size = 0}),
                         "TrainOptions.batch_size is 0; it must be at least 1", nn::Error);
    const nn::Matrix<float> wrong(10, 3);
    CHECK_THROWS_WITH_AS(nn::train(net, wrong, data.Y, sgd, {}), "X has 3 columns, the network takes 2 inputs",
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::train(net, data.X, data.Y, sgd, {}, data.X, wrong),
                         "Y has 3 columns, the network gives 2 outputs", nn::Error);
    CHECK(test::parameters(net) == before);
}

TEST_CASE("max_seconds bounds the training time") {
    const Blobs data(9, 2000);
    auto net = fresh();
    nn::SGD<float> sgd(0.01f);
    const auto h = nn::train(net, data.X, data.Y, sgd,
                             {.epochs = 1000000, .batch_size = 1, .max_seconds = 0.2, .progress = nn::Progress::Quiet});
    CHECK(h.stopped_early);
    CHECK(h.epochs.size() < 1000000);
    CHECK(h.best_epoch == h.epochs.size());
}
