// Trains XOR as examples/xor.cpp does and writes the network as a C99 header (argument 1, default
// xor_net.h) for examples/xor_c.c, a C program that includes it: the weights as arrays and one
// function, xor_net_predict, with <math.h> alone.
#include <cstdio>

#include <nn/nn.hpp>

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "xor_net.h";
    const nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const nn::Matrix<float> Y{{0}, {1}, {1}, {0}};
    nn::NN<float> net({2, 3, 1});
    nn::Rng rng(1);
    net.randomize(rng, -1.0f, 1.0f);
    nn::Gradient<float> g;
    for (int epoch = 0; epoch < 5000; ++epoch) {
        net.backprop(X, Y, g);
        net.learn(g, 2.0f);
    }
    try {
        nn::export_c(net, path, "xor_net");
    } catch (const nn::Error& e) {
        std::fprintf(stderr, "export_c: %s\n", e.what());
        return 1;
    }
    std::printf("wrote %s (cost %.6f)\n", path, static_cast<double>(net.cost(X, Y)));
    return 0;
}
