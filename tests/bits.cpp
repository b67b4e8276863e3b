// The bits of each stage of a run, as one digest a line ("float init 5d0c..."), so that two builds
// can be compared line by line: CI runs it on x86-64 (NN_SIMD=baseline) and on aarch64 under
// qemu, and the README's determinism section says which lines agree (tests/bits.sh).
#include <cstdio>
#include <cstring>
#include <string>

#include <nn/detail/digest.hpp>
#include <nn/nn.hpp>

namespace {

template <class T>
void line(const char* stage, const T* data, std::size_t count) {
    std::printf("%s %-22s %016llx\n", sizeof(T) == 4 ? "float " : "double", stage,
                static_cast<unsigned long long>(nn::detail::digest(data, count * sizeof(T))));
}

template <class T>
void stages() {
    using nn::Activation;
    nn::Rng rng(11);
    // The starting network: nn::Rng and the initial weights.
    nn::NN<T> small({8, 16, 4}, Activation::Tanh, Activation::Sigmoid);
    line("init", small.parameters().data(), small.parameter_count());

    // Each activation, element by element, on 4,096 inputs from -20 to 20 (exp, tanh, softmax).
    nn::Matrix<T> column(4096, 1);
    for (std::size_t i = 0; i < column.rows(); ++i) column(i, 0) = T(-20) + T(40) * T(i) / T(4095);
    for (const Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU}) {
        nn::NN<T> unit({1, 1}, std::vector<Activation>{a});
        unit.weights(0)(0, 0) = T(1);
        unit.biases(0)(0, 0) = T(0);
        const nn::Matrix<T> out = unit.forward(column);
        line((std::string("activation ") + nn::name(a)).c_str(), out.data(), out.size());
    }

    // A forward pass of a small network (the small products), and one sample's predict.
    nn::Matrix<T> X(64, 8);
    for (T& x : X) x = rng.uniform(T(-2), T(2));
    const nn::Matrix<T> out = small.forward(X);
    line("forward 8-16-4", out.data(), out.size());
    const std::vector<T> one = small.predict(std::span<const T>(X.data(), 8));
    line("predict 8-16-4", one.data(), one.size());

    // Training: XOR with SGD, full batch (small products, backprop, the update).
    const nn::Matrix<T> Xx{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Yx{{0}, {1}, {1}, {0}};
    nn::NN<T> xor_net({2, 3, 1});
    nn::SGD<T> sgd(T(1));
    nn::train(xor_net, Xx, Yx, sgd, {.epochs = 200, .progress = nn::Progress::Quiet});
    line("train xor sgd", xor_net.parameters().data(), xor_net.parameter_count());

    // Training a wider network with Adam on minibatches: the blocked matrix products (GEMM).
    nn::Matrix<T> Xw(256, 96), Yw(256, 10);
    for (T& x : Xw) x = rng.uniform(T(0), T(1));
    for (std::size_t i = 0; i < Yw.rows(); ++i) Yw(i, rng.below(10)) = T(1);
    nn::NN<T> wide({96, 128, 10}, {Activation::ReLU, Activation::Softmax}, nn::Loss::CrossEntropy);
    nn::Adam<T> adam(T(1e-3));
    nn::train(wide, Xw, Yw, adam, {.epochs = 3, .batch_size = 64, .seed = 5, .progress = nn::Progress::Quiet});
    line("train 96-128-10 adam", wide.parameters().data(), wide.parameter_count());
}

} // namespace

int main() {
    std::printf("kernels %s\n", nn::simd_path());
    stages<float>();
    stages<double>();
}
