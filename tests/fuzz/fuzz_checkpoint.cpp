// libFuzzer target: a checkpoint's reader on arbitrary bytes must resume or throw nn::Error, and
// change nothing when it throws (no crash, no undefined behaviour, no allocation sized by an
// unchecked number). The run it reads into is tests/fuzz/corpus/checkpoint's: written by
// `fuzz_checkpoint --write-corpus DIR`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <nn/nn.hpp>

namespace {

struct Setup {
    nn::Matrix<float> X{{0, 1}, {1, 0}, {1, 1}, {0, 0}, {0.5f, 0.5f}}, Y{{1, 0}, {1, 0}, {0, 1}, {0, 1}, {1, 0}};
    nn::NN<float> net() const {
        return nn::NN<float>({2, 3, 2}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    }
    nn::TrainOptions options(const std::string& path) const {
        return {.epochs = 6, .batch_size = 2, .patience = 3, .progress = nn::Progress::Quiet, .checkpoint = path};
    }
};

/// Reads `bytes` as a checkpoint of Setup's run with `Optimizer`.
template <class Optimizer>
void read(std::string_view bytes, Optimizer optimizer) {
    const Setup s;
    nn::NN<float> net = s.net();
    nn::detail::Run<float, Optimizer> run;
    nn::detail::Identity identity = nn::detail::identity_of(net, s.options("x"), float(0.01f), true, 1);
    identity.emplace_back("data", nn::detail::data_identity<float>(nn::detail::Solo{}, s.X, s.Y, s.X, s.Y));
    const auto before = std::vector<float>(net.parameters().begin(), net.parameters().end());
    try {
        nn::detail::read_checkpoint<float>(bytes, "input", net, optimizer, run, identity, {6, 3, 3});
    } catch (const nn::Error&) {
        if (!std::equal(before.begin(), before.end(), net.parameters().begin())) std::abort(); // changed on a throw
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    read(bytes, nn::Adam<float>(0.01f));
    read(bytes, nn::SGD<float>(0.01f, 0.9f));
    read(bytes, nn::LBFGS<float>());
    return 0;
}

// The corpus: checkpoints of Setup's run, stopped after 1, 4 and 7 steps and finished, with Adam
// and SGD. (libFuzzer's main ignores arguments it does not know; this runs first.)
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    if (*argc == 3 && std::strcmp((*argv)[1], "--write-corpus") == 0) {
        const Setup s;
        const std::string dir = (*argv)[2];
        for (const std::size_t steps : {1u, 4u, 7u, 100u}) {
            nn::StopFlag flag;
            struct Stopping : nn::Adam<float> {
                nn::StopFlag* flag;
                std::size_t left;
                void step(nn::NN<float>& net, const nn::Gradient<float>& g) {
                    nn::Adam<float>::step(net, g);
                    if (--left == 0) flag->request();
                }
            } adam{nn::Adam<float>(0.01f), &flag, steps};
            nn::NN<float> net = s.net();
            nn::TrainOptions o = s.options(dir + "/adam_" + std::to_string(steps) + ".ckpt");
            o.stop = &flag;
            nn::train(net, s.X, s.Y, adam, o, s.X, s.Y);
        }
        std::exit(0);
    }
    return 0;
}
