// The bits of each stage of a run, as one digest a line ("float init 5d0c..."), so that two builds
// can be compared line by line: CI runs it on x86-64 (NN_SIMD=baseline) and on aarch64 under
// qemu, and the README's determinism section says which lines agree (tests/bits.sh); the tests
// compare -O2 builds with -O3 ones (tests/CMakeLists.txt).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nn/detail/digest.hpp>
#include <nn/nn.hpp>

namespace {

/// A stage of the run in T (its data may be of another type: the costs are doubles).
template <class T, class Data>
void line(const char* stage, const Data* data, std::size_t count) {
    std::printf("%s %-22s %016llx\n", sizeof(T) == 4 ? "float " : "double", stage,
                static_cast<unsigned long long>(nn::detail::digest(data, count * sizeof(Data))));
}

template <class T>
void stages() {
    using nn::Activation;
    nn::Rng rng(11);
    // The starting network: nn::Rng and the initial weights.
    nn::NN<T> small({8, 16, 4}, Activation::Tanh, Activation::Sigmoid);
    line<T>("init", small.parameters().data(), small.parameter_count());

    // Each activation, element by element, on 4,096 inputs from -20 to 20 (exp, tanh, softmax).
    nn::Matrix<T> column(4096, 1);
    for (std::size_t i = 0; i < column.rows(); ++i) column(i, 0) = T(-20) + T(40) * T(i) / T(4095);
    for (const Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU}) {
        nn::NN<T> unit({1, 1}, std::vector<Activation>{a});
        unit.weights(0)(0, 0) = T(1);
        unit.biases(0)(0, 0) = T(0);
        const nn::Matrix<T> out = unit.forward(column);
        line<T>((std::string("activation ") + nn::name(a)).c_str(), out.data(), out.size());
    }

    // A forward pass of a small network (the small products), and one sample's predict.
    nn::Matrix<T> X(64, 8);
    for (T& x : X) x = rng.uniform(T(-2), T(2));
    const nn::Matrix<T> out = small.forward(X);
    line<T>("forward 8-16-4", out.data(), out.size());
    const std::vector<T> one = small.predict(std::span<const T>(X.data(), 8));
    line<T>("predict 8-16-4", one.data(), one.size());

    // Training: XOR with SGD, full batch (small products, backprop, the update).
    const nn::Matrix<T> Xx{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Yx{{0}, {1}, {1}, {0}};
    nn::NN<T> xor_net({2, 3, 1});
    nn::SGD<T> sgd(T(1));
    nn::train(xor_net, Xx, Yx, sgd, {.epochs = 200, .progress = nn::Progress::Quiet});
    line<T>("train xor sgd", xor_net.parameters().data(), xor_net.parameter_count());

    // Per-sample SGD on a 4-4-3 sigmoid network (genann's recipe): the one-sample path.
    nn::Matrix<T> Xs(16, 4), Ys(16, 3);
    for (T& x : Xs) x = rng.uniform(T(-1), T(1));
    for (std::size_t i = 0; i < Ys.rows(); ++i) Ys(i, i % 3) = T(1);
    nn::NN<T> sample_net({4, 4, 3});
    nn::SGD<T> per_sample(T(0.5));
    nn::train(sample_net, Xs, Ys, per_sample,
              {.epochs = 20, .batch_size = 1, .seed = 3, .progress = nn::Progress::Quiet});
    line<T>("train 4-4-3 per sample", sample_net.parameters().data(), sample_net.parameter_count());

    // Batches of 3 through two hidden layers: a delta of 11 passed down (the small products' dot
    // products with terms left after eight).
    nn::NN<T> deep({4, 9, 11, 3}, Activation::Tanh, Activation::Sigmoid);
    nn::SGD<T> by_three(T(0.3));
    nn::train(deep, Xs, Ys, by_three, {.epochs = 10, .batch_size = 3, .seed = 4, .progress = nn::Progress::Quiet});
    line<T>("train 4-9-11-3 batch 3", deep.parameters().data(), deep.parameter_count());

    // Training a wider network with Adam on minibatches: the blocked matrix products (GEMM).
    nn::Matrix<T> Xw(256, 96), Yw(256, 10);
    for (T& x : Xw) x = rng.uniform(T(0), T(1));
    for (std::size_t i = 0; i < Yw.rows(); ++i) Yw(i, rng.below(10)) = T(1);
    nn::NN<T> wide({96, 128, 10}, {Activation::ReLU, Activation::Softmax}, nn::Loss::CrossEntropy);
    nn::Adam<T> adam(T(1e-3));
    nn::train(wide, Xw, Yw, adam, {.epochs = 3, .batch_size = 64, .seed = 5, .progress = nn::Progress::Quiet});
    line<T>("train 96-128-10 adam", wide.parameters().data(), wide.parameter_count());

    // Each loss's output delta and cost (detail::output_delta, detail::loss_sum) on the 4-9-11-3
    // network, and the costs nn::train reports: each epoch's mean over its batches.
    const auto train_and_cost = [&](const char* stage, Activation output, nn::Loss loss) {
        nn::NN<T> net({4, 9, 11, 3}, std::vector<Activation>{Activation::Tanh, Activation::Tanh, output}, loss);
        nn::SGD<T> sgd3(T(0.3));
        const nn::History history =
            nn::train(net, Xs, Ys, sgd3, {.epochs = 10, .batch_size = 3, .seed = 4, .progress = nn::Progress::Quiet});
        std::vector<double> costs;
        for (const nn::EpochStats& epoch : history.epochs) costs.push_back(epoch.train_cost);
        line<T>((std::string("train ") + stage).c_str(), net.parameters().data(), net.parameter_count());
        line<T>((std::string("costs ") + stage).c_str(), costs.data(), costs.size());
    };
    train_and_cost("tanh mse", Activation::Tanh, nn::Loss::MSE);
    train_and_cost("softmax mse", Activation::Softmax, nn::Loss::MSE);
    train_and_cost("softmax xent", Activation::Softmax, nn::Loss::CrossEntropy);
    train_and_cost("sigmoid bce", Activation::Sigmoid, nn::Loss::BinaryCrossEntropy);
}

} // namespace

int main() {
    std::printf("kernels %s\n", nn::simd_path());
    stages<float>();
    stages<double>();
}
