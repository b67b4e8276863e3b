// Learns XOR with a 2-3-1 sigmoid network and plain gradient descent on the whole batch.
// Prints the cost as it trains, then the truth table, then "correct: K/4"; exits 0 when K == 4.
//     xor [picture.svg]      also draws the trained network (nn::network_svg) into that file
#include <cstdio>

#include <nn/nn.hpp>

int main(int argc, char** argv) {
    const nn::Matrix<float> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const nn::Matrix<float> Y{{0}, {1}, {1}, {0}};

    nn::NN<float> net({2, 3, 1});
    nn::Rng rng(1);
    net.randomize(rng, -1.0f, 1.0f); // the notes' start: every parameter uniform in [-1, 1]
    std::printf("%s\n", net.summary().c_str());

    nn::Gradient<float> g;
    const int epochs = 5000;
    for (int epoch = 0; epoch <= epochs; ++epoch) {
        if (epoch % 1000 == 0) std::printf("epoch %5d  cost %.6f\n", epoch, static_cast<double>(net.cost(X, Y)));
        if (epoch == epochs) break;
        net.backprop(X, Y, g);
        net.learn(g, 2.0f);
    }

    const nn::Matrix<float> out = net.forward(X);
    int correct = 0;
    std::printf("\n a  b | a^b | output\n");
    for (std::size_t i = 0; i < X.rows(); ++i) {
        const bool ok = (out(i, 0) > 0.5f) == (Y(i, 0) > 0.5f);
        correct += ok;
        std::printf(" %.0f  %.0f |  %.0f  | %.4f %s\n", static_cast<double>(X(i, 0)), static_cast<double>(X(i, 1)),
                    static_cast<double>(Y(i, 0)), static_cast<double>(out(i, 0)), ok ? "" : "wrong");
    }
    std::printf("correct: %d/%zu\n", correct, X.rows());
    if (argc > 1) {
        nn::save_svg(argv[1], nn::network_svg(net, {.title = "XOR, 2-3-1 sigmoid, after 5000 steps"}));
        std::printf("network drawn in %s\n", argv[1]);
    }
    return correct == static_cast<int>(X.rows()) ? 0 : 1;
}
