// Must not compile, with one clear message (tests/compile_error.sh): a network of doubles given
// data of floats.
#include <nn/nn.hpp>

int main() {
    nn::NN<double> net({2, 3, 1});
    const nn::Matrix<float> X(4, 2), Y(4, 1);
    nn::SGD<double> sgd(0.1);
    nn::train(net, X, Y, sgd);
}
