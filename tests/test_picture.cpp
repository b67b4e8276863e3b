// The SVG pictures: the history plot's curves and points, where they land on a log scale, the
// network picture's lines, circles and colours, names escaped, bad input refused. (That the files
// are well-formed XML and render to a picture that is not blank: tests/pictures.sh.)
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/detail/file.hpp>
#include <nn/picture.hpp>

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// The points of the k-th <polyline> as (x, y) pairs.
std::vector<std::pair<double, double>> polyline(const std::string& svg, std::size_t k) {
    std::size_t at = svg.find("<polyline");
    for (std::size_t i = 0; i < k; ++i) at = svg.find("<polyline", at + 1);
    REQUIRE(at != std::string::npos);
    const std::size_t begin = svg.find("points=\"", at) + 8, end = svg.find('"', begin);
    std::vector<std::pair<double, double>> points;
    const std::string list = svg.substr(begin, end - begin);
    double x, y;
    int used;
    for (const char* p = list.c_str(); std::sscanf(p, "%lf,%lf%n", &x, &y, &used) == 2; p += used)
        points.emplace_back(x, y);
    return points;
}

nn::History history(std::vector<double> train, std::vector<double> val = {}) {
    nn::History h;
    for (std::size_t e = 0; e < train.size(); ++e) {
        nn::EpochStats s;
        s.epoch = e + 1;
        s.train_cost = train[e];
        if (!val.empty()) s.val_cost = val[e];
        h.epochs.push_back(s);
    }
    return h;
}

} // namespace

TEST_CASE("history_svg: one polyline per curve, one point per epoch, placed on the axes") {
    const std::vector<nn::NamedHistory> runs{{"iRPROP-", history({1, 0.1, 0.01}, {1, 0.5, 0.25})},
                                             {"L-BFGS", history({0.5, 0.05, 0.02, 0.01, 0.01})}};
    const std::string svg = nn::history_svg(runs, {.log_scale = true});
    CHECK(count(svg, "<polyline") == 3); // two training curves, one validation curve
    CHECK(count(svg, "class=\"validation\"") == 1);
    const auto first = polyline(svg, 0), validation = polyline(svg, 1), second = polyline(svg, 2);
    REQUIRE(first.size() == 3);
    REQUIRE(validation.size() == 3);
    REQUIRE(second.size() == 5);
    // The plot area: x from 70 to 720 - 200 = 520 over epochs 1..5 (the legend takes 60 px and 7
    // a character of its longest line, "iRPROP- (validation)"); y from 40 (10^0) to 420 - 50 = 370
    // (10^-2), the decades around the costs.
    CHECK(first[0].first == doctest::Approx(70));
    CHECK(second[4].first == doctest::Approx(520));
    CHECK(first[2].first == doctest::Approx(70 + 450.0 * 2 / 4));
    CHECK(first[0].second == doctest::Approx(40));
    CHECK(first[1].second == doctest::Approx(205));
    CHECK(first[2].second == doctest::Approx(370));
    CHECK(validation[2].second == doctest::Approx(40 + 330 * -std::log10(0.25) / 2).epsilon(1e-4));
    CHECK(count(svg, ">0.01</text>") == 1); // the decades are labelled
    CHECK(count(svg, ">1</text>") >= 1);

    // Linear: the costs between round ticks, every point inside the plot (no validation lines in
    // the legend: the legend's minimum of 170 px, the plot to 550).
    const std::string linear = nn::history_svg(runs, {.validation = false});
    CHECK(count(linear, "<polyline") == 2);
    for (std::size_t k = 0; k < 2; ++k)
        for (const auto& [x, y] : polyline(linear, k)) {
            CHECK(x >= 70);
            CHECK(x <= 550);
            CHECK(y >= 40);
            CHECK(y <= 370);
        }
}

TEST_CASE("history_svg escapes names and refuses what it cannot draw") {
    const std::string svg = nn::history_svg({{"a<b & \"c\"", history({2, 1})}}, {.title = "x > y"});
    CHECK(count(svg, "a&lt;b &amp; &quot;c&quot;") == 1);
    CHECK(count(svg, "x &gt; y") == 1);
    CHECK(count(svg, "a<b") == 0);
    CHECK_THROWS_WITH_AS(nn::history_svg({}), "history_svg was given no runs to plot", nn::Error);
    CHECK_THROWS_WITH_AS(nn::history_svg({{"empty", nn::History{}}}), "history_svg: run 'empty' has no epochs",
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::history_svg({{"zero", history({1, 0})}}, {.log_scale = true}),
                         "history_svg: the training cost of run 'zero' at epoch 2 is 0; a log scale needs costs > 0",
                         nn::Error);
    CHECK_THROWS_AS(nn::history_svg({{"nan", history({1, NAN})}}), nn::Error);
    CHECK_THROWS_AS(nn::history_svg({{"small", history({1})}}, {.width = 100}), nn::Error);
    // One epoch, one cost: still a picture, the point in the middle of x from 70 to 550.
    const auto one = polyline(nn::history_svg({{"one", history({0.5})}}, {.validation = false}), 0);
    REQUIRE(one.size() == 1);
    CHECK(one[0].first == doctest::Approx(310));
    // Many decades: at most ten labelled.
    const std::string deep = nn::history_svg({{"deep", history({1, 1e-30})}}, {.log_scale = true});
    CHECK(count(deep, ">1e-30</text>") == 1);
    CHECK(count(deep, ">1e-29</text>") == 0);
}

TEST_CASE("network_svg: a circle per neuron, a line per weight, coloured by sign") {
    nn::NN<double> net({2, 4, 1}, nn::Activation::Tanh, nn::Activation::Sigmoid);
    for (double& w : net.weights(0)) w = 0.5;
    net.weights(0)(1, 2) = -2;                 // the largest, and negative: opaque red
    for (double& w : net.weights(1)) w = 0.25; // all the largest of their layer: opaque blue
    const std::string svg = nn::network_svg(net);
    CHECK(count(svg, "<circle") == 7);
    CHECK(count(svg, "<line") == 2 * 4 + 4 * 1);
    CHECK(count(svg, "stroke=\"#b2182b\" stroke-opacity=\"1.000\"") == 1);
    CHECK(count(svg, "stroke=\"#2166ac\" stroke-opacity=\"0.310\"") == 7); // 0.08 + 0.92 * 0.5 / 2
    CHECK(count(svg, "stroke=\"#2166ac\" stroke-opacity=\"1.000\"") == 4);
    CHECK(count(svg, ">2-4-1</text>") == 1);
    CHECK(count(svg, ">4 tanh</text>") == 1);
    CHECK(count(svg, ">1 sigmoid</text>") == 1);

    nn::NN<float> wide({100, 3, 1});
    const std::string some = nn::network_svg(wide, {.max_neurons = 10});
    CHECK(count(some, "<circle") == 10 + 3 + 1);
    CHECK(count(some, "<line") == 10 * 3 + 3);
    CHECK(count(some, ">100 inputs (90 not drawn)</text>") == 1);
    CHECK_THROWS_AS(nn::network_svg(wide, {.max_neurons = 0}), nn::Error);
}

TEST_CASE("save_svg writes the file whole") {
    const test::Folder folder;
    const std::string path = folder.file("picture.svg");
    nn::save_svg(path, nn::network_svg(nn::NN<float>({2, 2, 1})));
    const std::string back = nn::detail::read_file(path);
    CHECK(back.rfind("<svg", 0) == 0);
    CHECK(back.find("</svg>") != std::string::npos);
}
