// A trained classifier deployed in two steps, as a real program would:
//   deploy train FILE              trains on measurements of three kinds of iris and saves the
//                                  network with its input scaling and class names in FILE;
//   deploy predict FILE a b c d    loads FILE and prints the class of one raw sample.
// Without arguments it does both with a temporary file, checks the class of one sample of each
// kind, and exits 0 when all three are right.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nn/nn.hpp>

namespace {

const std::vector<std::string> kinds = {"setosa", "versicolor", "virginica"};

// Sepal length and width in cm, petal length in cm, petal width in mm: raw features on different
// scales, which the Standardizer evens out. Each kind has its own typical flower.
std::vector<float> typical(std::size_t kind) {
    static const float means[3][4] = {{5.0f, 3.4f, 1.5f, 2.5f}, {5.9f, 2.8f, 4.3f, 13.0f}, {6.6f, 3.0f, 5.6f, 20.0f}};
    return {means[kind], means[kind] + 4};
}

void train(const std::string& path) {
    nn::Rng rng(7);
    const std::size_t n = 300;
    nn::Matrix<float> X(n, 4), Y(n, 3);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t kind = i % 3;
        const std::vector<float> mean = typical(kind);
        for (std::size_t j = 0; j < 4; ++j) X(i, j) = mean[j] * (1 + rng.uniform(-0.12f, 0.12f));
        Y(i, kind) = 1;
    }
    auto scaling = nn::Standardizer<float>::fit(X);
    scaling.apply(X);
    nn::NN<float> net({4, 8, 3}, {nn::Activation::Tanh, nn::Activation::Softmax}, nn::Loss::CrossEntropy);
    nn::Adam<float> adam(0.01f);
    const auto history = nn::train(net, X, Y, adam, {.epochs = 100, .batch_size = 32, .progress = nn::Progress::Quiet});
    std::printf("trained: cost %.4f, accuracy %.3f\n", history.epochs.back().train_cost,
                nn::accuracy(net.forward(X), Y));
    nn::save(nn::Model<float>{net, scaling, kinds}, path); // the network, its scaling, its class names
}

std::string predict(const std::string& path, const std::vector<float>& sample) {
    const auto model = nn::load_model<float>(path); // a program of its own would start here:
    return model.classify(sample);                  // raw features in, a class name out
}

} // namespace

int main(int argc, char** argv) {
    try {
        const std::string step = argc > 1 ? argv[1] : "";
        if (step == "train" && argc == 3) {
            train(argv[2]);
            return 0;
        }
        if (step == "predict" && argc == 7) {
            std::vector<float> sample;
            for (int k = 3; k < 7; ++k) sample.push_back(std::strtof(argv[k], nullptr));
            std::printf("%s\n", predict(argv[2], sample).c_str());
            return 0;
        }
        if (argc != 1) {
            std::fprintf(stderr, "usage: deploy train FILE | deploy predict FILE a b c d\n");
            return 2;
        }
        const std::string path = "deploy_example.safetensors";
        train(path);
        int right = 0;
        for (std::size_t kind = 0; kind < 3; ++kind) {
            const std::string answer = predict(path, typical(kind));
            std::printf("a typical %s is classified as %s\n", kinds[kind].c_str(), answer.c_str());
            right += answer == kinds[kind];
        }
        std::remove(path.c_str());
        std::printf("correct: %d/3\n", right);
        return right == 3 ? 0 : 1;
    } catch (const nn::Error& e) {
        std::fprintf(stderr, "deploy: %s\n", e.what());
        return 1;
    }
}
