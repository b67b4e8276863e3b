// nn's per-sample costs, with run.sh's per-sample section: median microseconds of one backprop +
// learn on one sample of a 4-4-3 sigmoid network in double (genann's iris recipe: 750,000 such
// steps), and nn::train's fixed cost per epoch: its time per epoch on XOR (the whole batch, not
// shuffled, plain SGD) minus the time of the bare backprop + SGD step it runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <nn/nn.hpp>

namespace {

template <class F>
double median_us(const F& run, long per_run, int rounds = 9) {
    std::vector<double> times;
    for (int r = 0; r < rounds; ++r) {
        const auto start = std::chrono::steady_clock::now();
        run();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
                        double(per_run) * 1e6);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

} // namespace

int main() {
    { // genann's iris recipe on data of iris's shape: 150 samples, 4 inputs, 3 one-hot classes
        nn::NN<double> net({4, 4, 3});
        nn::Rng rng(1);
        net.randomize(rng, -0.5, 0.5);
        nn::Matrix<double> X(150, 4), Y(150, 3);
        for (double& x : X) x = rng.uniform(0.0, 1.0);
        for (std::size_t i = 0; i < 150; ++i) Y(i, i % 3) = 1;
        nn::Gradient<double> g;
        const long steps = 150000;
        std::printf("sample %.6g\n", median_us(
                                         [&] {
                                             for (long s = 0; s < steps; ++s) {
                                                 const std::size_t i = std::size_t(s % 150);
                                                 net.backprop(X.row(i), Y.row(i), g);
                                                 net.learn(g, 0.01);
                                             }
                                         },
                                         steps));
    }
    { // XOR, float: the bare step, then nn::train doing the same steps
        const nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
        nn::NN<float> net({2, 2, 1});
        nn::Rng rng(1);
        net.randomize(rng, -0.5f, 0.5f);
        nn::SGD<float> sgd(0.1f);
        nn::Gradient<float> g;
        const long epochs = 5000, runs = 20;
        const double step = median_us(
            [&] {
                for (long s = 0; s < epochs * runs; ++s) {
                    net.backprop(X, Y, g);
                    sgd.step(net, g);
                }
            },
            epochs * runs);
        const double epoch = median_us(
            [&] {
                for (long r = 0; r < runs; ++r)
                    nn::train(net, X, Y, sgd, {.epochs = epochs, .shuffle = false, .progress = nn::Progress::Quiet});
            },
            epochs * runs);
        std::printf("xor_step %.6g\nepoch_fixed %.6g\n", step, epoch - step);
    }
}
