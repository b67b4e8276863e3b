// Learns to add two 5-bit numbers: 10 inputs (the bits of a, then of b, least significant first),
// 6 outputs (the 5 bits of the sum and the carry), all 1024 pairs, with nn::train's shuffled
// minibatches and plain SGD. Prints progress, a few sums, and "correct: K/1024"; exits 0 when K == 1024.
#include <cstdio>

#include <nn/nn.hpp>

int main() {
    constexpr std::size_t bits = 5, n = 1 << (2 * bits);
    nn::Matrix<float> X(n, 2 * bits), Y(n, bits + 1);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t a = i % 32, b = i / 32, sum = a + b;
        for (std::size_t k = 0; k < bits; ++k) {
            X(i, k) = static_cast<float>((a >> k) & 1);
            X(i, bits + k) = static_cast<float>((b >> k) & 1);
        }
        for (std::size_t k = 0; k <= bits; ++k) Y(i, k) = static_cast<float>((sum >> k) & 1);
    }

    nn::NN<float> net({2 * bits, 20, bits + 1}); // sigmoid, squared error: the notes' network
    nn::Rng rng(1);
    net.randomize(rng, -1.0f, 1.0f); // the notes' start: every parameter uniform in [-1, 1]
    std::printf("%s\n", net.summary().c_str());
    nn::SGD<float> sgd(1.0f);

    // The row of bits, read back as a number.
    auto decode = [](nn::MatrixView<const float> row) {
        std::size_t value = 0;
        for (std::size_t k = 0; k < row.cols(); ++k) value |= std::size_t(row(0, k) > 0.5f) << k;
        return value;
    };
    auto count_correct = [&](const nn::Matrix<float>& out) {
        std::size_t correct = 0;
        for (std::size_t i = 0; i < n; ++i) correct += decode(out.row(i)) == decode(Y.row(i));
        return correct;
    };

    std::size_t epochs = 0, correct = 0;
    for (std::uint64_t round = 0; round < 20 && correct < n; ++round) {
        const auto history = nn::train(
            net, X, Y, sgd, {.epochs = 50, .batch_size = 32, .seed = round, .progress = nn::Progress::Quiet});
        epochs += history.epochs.size();
        correct = count_correct(net.forward(X));
        std::printf("epoch %4zu  cost %.6f  correct %zu/%zu\n", epochs, history.epochs.back().train_cost, correct, n);
    }

    const nn::Matrix<float> out = net.forward(X);
    std::printf("\nsome sums:\n");
    for (std::size_t i : {37u, 300u, 555u, 1023u}) {
        const std::size_t a = i % 32, b = i / 32;
        std::printf("  %2zu + %2zu = %2zu  (net says %2zu)\n", a, b, a + b, decode(out.row(i)));
    }
    std::printf("correct: %zu/%zu\n", correct, n);
    return correct == n ? 0 : 1;
}
