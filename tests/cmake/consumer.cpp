// A program of a project that uses nn through CMake; it exits 0 when the library works.
#include <nn/nn.hpp>

int main() {
    nn::NN<double> net({2, 3, 1});
    nn::Rng rng(7);
    net.randomize(rng, -1.0, 1.0);
    const nn::Matrix<double> X{{0, 1}, {1, 0}};
    const nn::Matrix<double> Y{{1}, {1}};
    const double before = net.cost(X, Y);
    net.learn(net.backprop(X, Y), 0.5);
    return net.cost(X, Y) < before ? 0 : 1;
}
