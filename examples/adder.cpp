// Learns to add two 5-bit numbers: 10 inputs (the bits of a, then of b, least significant first),
// 6 outputs (the 5 bits of the sum and the carry), all 1024 pairs. Minibatch gradient descent
// over views of the data (no copies). Prints progress, a few sums, and "correct: K/1024".
#include <cstdio>
#include <utility>

#include <nn/nn.hpp>

int main() {
    constexpr std::size_t bits = 5, n = 1 << (2 * bits);
    nn::Rng rng(3);

    // Row r holds pair order[r]: shuffled once, so that each minibatch mixes many pairs.
    std::size_t order[n];
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);

    nn::Matrix<float> X(n, 2 * bits), Y(n, bits + 1);
    for (std::size_t r = 0; r < n; ++r) {
        const std::size_t a = order[r] & ((1 << bits) - 1), b = order[r] >> bits, sum = a + b;
        for (std::size_t k = 0; k < bits; ++k) {
            X(r, k) = static_cast<float>((a >> k) & 1);
            X(r, bits + k) = static_cast<float>((b >> k) & 1);
        }
        for (std::size_t k = 0; k <= bits; ++k) Y(r, k) = static_cast<float>((sum >> k) & 1);
    }

    nn::NN<float> net({2 * bits, 20, bits + 1});
    net.randomize(rng, -1.0f, 1.0f);

    // Decodes an output row (or a target row) back into the number it stands for.
    auto decode = [](nn::MatrixView<const float> row) {
        std::size_t value = 0;
        for (std::size_t k = 0; k < row.cols(); ++k) value |= std::size_t(row(0, k) > 0.5f) << k;
        return value;
    };
    auto count_correct = [&] {
        const nn::Matrix<float> out = net.forward(X);
        std::size_t correct = 0;
        for (std::size_t i = 0; i < n; ++i) correct += decode(out.row(i)) == decode(Y.row(i));
        return correct;
    };

    nn::Gradient<float> g;
    const std::size_t batch = 32;
    const int epochs = 2000;
    int epoch = 0;
    for (; epoch < epochs; ++epoch) {
        for (std::size_t first = 0; first < n; first += batch) {
            net.backprop(X.rows(first, batch), Y.rows(first, batch), g);
            net.learn(g, 1.0f);
        }
        if (epoch % 100 == 0) {
            const std::size_t correct = count_correct();
            std::printf("epoch %4d  cost %.6f  correct %zu/%zu\n", epoch, static_cast<double>(net.cost(X, Y)), correct,
                        n);
            if (correct == n) break;
        }
    }

    const nn::Matrix<float> out = net.forward(X);
    std::printf("\nafter %d epochs, some sums:\n", epoch + 1);
    for (std::size_t r = 0; r < 5; ++r) {
        const std::size_t a = order[r] & ((1 << bits) - 1), b = order[r] >> bits;
        std::printf("  %2zu + %2zu = %2zu  (net says %2zu)\n", a, b, a + b, decode(out.row(r)));
    }
    const std::size_t correct = count_correct();
    std::printf("correct: %zu/%zu\n", correct, n);
    return correct == n ? 0 : 1;
}
