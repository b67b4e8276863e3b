// Writes the pictures that tests/pictures.sh parses and renders: the cost curves of XOR trained
// by iRPROP-, L-BFGS and Levenberg-Marquardt (with validation, log scale and linear), and the
// network L-BFGS trained. Beside each SVG, <name>.expect lists the points of each curve.
//     nn_pictures <folder>
#include <cstdio>
#include <string>
#include <vector>

#include <nn/nn.hpp>
#include <nn/picture.hpp>

namespace {
template <class Optimizer>
nn::NamedHistory run(const std::string& name, nn::NN<double>& net, Optimizer& optimizer) {
    const nn::Matrix<double> X{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, Y{{0}, {1}, {1}, {0}};
    return {name, nn::train(net, X, Y, optimizer,
                            {.epochs = 60, .batch_size = 4, .shuffle = false, .progress = nn::Progress::Quiet}, X, Y)};
}

void write(const std::string& folder, const std::string& name, const std::string& svg,
           const std::vector<std::size_t>& points) {
    nn::save_svg(folder + "/" + name + ".svg", svg);
    std::string expect;
    for (std::size_t p : points) expect += std::to_string(p) + "\n";
    nn::save_svg(folder + "/" + name + ".expect", expect);
}
} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <folder>\n", argv[0]);
        return 2;
    }
    const std::string folder = argv[1];
    const auto make = [] { return nn::NN<double>({2, 4, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid); };
    nn::NN<double> a = make(), b = make(), c = make();
    nn::IRprop<double> rprop;
    nn::LBFGS<double> lbfgs;
    nn::LevenbergMarquardt<double> lm;
    const std::vector<nn::NamedHistory> runs{run("iRPROP-", a, rprop), run("L-BFGS", b, lbfgs),
                                             run("Levenberg-Marquardt", c, lm)};
    std::vector<std::size_t> points;
    for (const auto& r : runs) points.insert(points.end(), 2, r.history.epochs.size()); // training, validation
    write(folder, "history_log", nn::history_svg(runs, {.title = "XOR: three trainers", .log_scale = true}), points);
    write(folder, "history_linear", nn::history_svg(runs, {.title = "XOR", .validation = false}),
          {points[0], points[2], points[4]});
    write(folder, "network", nn::network_svg(b), {});
}
