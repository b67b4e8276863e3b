// nn's full-batch trainers on one of FANN's datasets, for bench/compare/trainers.sh.
//     trainers_nn <train file> <test file> <trainer> <setup> <epochs> <hidden> [hidden ...]
// trainer: irprop, lbfgs or lm. setup: fann (sigmoid hidden and output layers, MSE, as FANN's
// benchmark, from FANN's starting weights, uniform in [-0.1, 0.1]) or sklearn (ReLU hidden layers; for targets of 0s
// and 1s, a Softmax output with cross-entropy, or one Sigmoid output with binary cross-entropy, as MLPClassifier; else
// a linear output with MSE, as MLPRegressor). Trains `epochs` epochs (fewer if the trainer stalls), in float, on every
// training sample, then prints "<test MSE> <test accuracy or nan> <seconds> <epochs>".
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nn/nn.hpp>

int main(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: %s <train> <test> <irprop|lbfgs|lm> <fann|sklearn> <epochs> <hidden>...\n",
                     argv[0]);
        return 2;
    }
    try {
        const auto train = nn::read_fann<float>(argv[1]);
        const auto test = nn::read_fann<float>(argv[2]);
        const std::string trainer = argv[3], setup = argv[4];
        const std::size_t epochs = std::strtoul(argv[5], nullptr, 10);
        std::vector<std::size_t> arch{train.X.cols()};
        for (int a = 6; a < argc; ++a) arch.push_back(std::strtoul(argv[a], nullptr, 10));
        arch.push_back(train.Y.cols());
        using A = nn::Activation;
        const bool classes = nn::detail::is_classification<float>(train.Y);
        A hidden = A::Sigmoid, output = A::Sigmoid;
        nn::Loss loss = nn::Loss::MSE;
        if (setup == "sklearn") {
            hidden = A::ReLU;
            output = !classes ? A::Linear : arch.back() > 1 ? A::Softmax : A::Sigmoid;
            loss = !classes ? nn::Loss::MSE : arch.back() > 1 ? nn::Loss::CrossEntropy : nn::Loss::BinaryCrossEntropy;
        }
        const char* seed_text = std::getenv("NN_SEED");
        const std::uint64_t seed = seed_text ? std::strtoull(seed_text, nullptr, 10) : 1;
        nn::NN<float> net(arch, hidden, output, loss, {.seed = seed});
        if (setup == "fann") { // FANN's starting weights: uniform in [-0.1, 0.1]
            nn::Rng rng(seed);
            net.randomize(rng, -0.1f, 0.1f);
        }
        const nn::TrainOptions options{
            .epochs = epochs, .batch_size = train.X.rows(), .shuffle = false, .progress = nn::Progress::Quiet};
        nn::History history;
        const auto start = std::chrono::steady_clock::now();
        if (trainer == "irprop") {
            // FANN's RPROP settings (fann_create_standard's defaults) in the fann setup.
            nn::IRprop<float> o(setup == "fann" ? nn::IRprop<float>::Options{.initial_step = 0.1f, .min_step = 0}
                                                : nn::IRprop<float>::Options{});
            history = nn::train(net, train.X, train.Y, o, options);
        } else if (trainer == "lbfgs") {
            nn::LBFGS<float> o;
            history = nn::train(net, train.X, train.Y, o, options);
        } else if (trainer == "lm") {
            nn::LevenbergMarquardt<float> o;
            history = nn::train(net, train.X, train.Y, o, options);
        } else {
            std::fprintf(stderr, "unknown trainer '%s'\n", trainer.c_str());
            return 2;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto out = net.forward(test.X);
        std::printf("%.9g %.9g %.9g %zu\n", nn::mean_squared_error(out, test.Y),
                    classes ? nn::accuracy(out, test.Y) : NAN, seconds, history.epochs.size());
    } catch (const nn::Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
