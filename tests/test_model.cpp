// nn::Model: a network with its input scaling and class names, saved in one file: exact round
// trips, raw features to a class name, files of a network alone, and every bad part.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/model.hpp>

namespace {
using test::Folder, test::read_bytes, test::write_bytes;

// A trained iris-like classifier: three classes told apart by the first of two features, which
// lives far from 0 (so it needs its scaling).
template <class T>
nn::Model<T> trained_model() {
    nn::Rng rng(5);
    nn::Matrix<T> X(90, 2), Y(90, 3);
    for (std::size_t i = 0; i < 90; ++i) {
        const std::size_t k = i % 3;
        X(i, 0) = T(100) + T(10) * T(k) + rng.uniform(T(-2), T(2));
        X(i, 1) = rng.uniform(T(-50), T(50));
        Y(i, k) = 1;
    }
    auto scale = nn::Standardizer<T>::fit(X);
    scale.apply(X);
    nn::NN<T> net({2, 8, 3}, {nn::Activation::Tanh, nn::Activation::Softmax}, nn::Loss::CrossEntropy);
    nn::Gradient<T> g;
    nn::Adam<T> adam(T(0.05));
    for (int step = 0; step < 300; ++step) {
        net.backprop(X, Y, g);
        adam.step(net, g);
    }
    return {net, scale, {"low", "middle", "high"}};
}

template <class T>
bool same_numbers(const nn::Matrix<T>& a, const nn::Matrix<T>& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() && std::equal(a.begin(), a.end(), b.begin());
}

} // namespace

TEST_CASE_TEMPLATE("a model round-trips exactly: network, scaling, class names", T, float, double) {
    Folder folder;
    const nn::Model<T> model = trained_model<T>();
    nn::save(model, folder.file("m.safetensors"));
    const auto back = nn::load_model<T>(folder.file("m.safetensors"));
    CHECK(test::parameters(back.net) == test::parameters(model.net));
    REQUIRE(back.scaling);
    CHECK(same_numbers(back.scaling->mean(), model.scaling->mean()));
    CHECK(same_numbers(back.scaling->scale(), model.scaling->scale()));
    CHECK(back.classes == model.classes);
    // Raw features to a class name, in the three lines a deployed program needs.
    CHECK(back.classify({T(101), T(20)}) == "low");
    CHECK(back.classify({T(110), T(-40)}) == "middle");
    CHECK(back.classify({T(119), T(0)}) == "high");
    // The model's output is the network's on the scaled sample.
    nn::Matrix<T> x{{T(112), T(7)}};
    const std::vector<T> raw(x.begin(), x.end());
    model.scaling->apply(x);
    const nn::Matrix<T> direct = back.net.forward(x);
    const std::vector<T> out = back.predict(raw);
    CHECK(std::equal(out.begin(), out.end(), direct.begin()));
    CHECK(back.predict_class(raw) == 1);
    // A plain network's loader reads the same file as a network.
    CHECK(test::parameters(nn::load<T>(folder.file("m.safetensors"))) == test::parameters(model.net));
}

TEST_CASE("a float model read as double gets the float values exactly, and back") {
    Folder folder;
    const nn::Model<float> model = trained_model<float>();
    nn::save(model, folder.file("f.safetensors"));
    const auto wide = nn::load_model<double>(folder.file("f.safetensors"));
    REQUIRE(wide.scaling);
    for (std::size_t c = 0; c < 2; ++c) {
        CHECK(wide.scaling->mean()(0, c) == double(model.scaling->mean()(0, c)));
        CHECK(wide.scaling->scale()(0, c) == double(model.scaling->scale()(0, c)));
    }
    nn::save(wide, folder.file("d.safetensors"));
    const auto narrow = nn::load_model<float>(folder.file("d.safetensors"));
    CHECK(same_numbers(narrow.scaling->mean(), model.scaling->mean()));
}

TEST_CASE("a model without scaling or names, and a file of a network alone") {
    Folder folder;
    nn::NN<float> net({3, 4, 1});
    nn::save(net, folder.file("net.safetensors")); // what earlier versions write
    const auto plain = nn::load_model<float>(folder.file("net.safetensors"));
    CHECK(!plain.scaling);
    CHECK(plain.classes.empty());
    CHECK(test::parameters(plain.net) == test::parameters(net));
    CHECK_THROWS_WITH_AS((void)plain.classify({1, 2, 3}), "classify needs a model with class names; this one has none",
                         nn::Error);
    // One output: two class names, for outputs at most 0.5 and above it.
    nn::save(nn::Model<float>{net, {}, {"no", "yes"}}, folder.file("binary.safetensors"));
    const auto binary = nn::load_model<float>(folder.file("binary.safetensors"));
    CHECK(binary.classes == std::vector<std::string>{"no", "yes"});
    CHECK(binary.classify({1, 2, 3}) == (net.predict({1, 2, 3})[0] > 0.5f ? "yes" : "no"));
    // Names with quotes, commas, backslashes and non-ASCII survive.
    const std::vector<std::string> odd = {"a \"quoted\", name", "back\\slash, caf\xc3\xa9"};
    nn::save(nn::Model<float>{net, {}, odd}, folder.file("odd.safetensors"));
    CHECK(nn::load_model<float>(folder.file("odd.safetensors")).classes == odd);
}

TEST_CASE("a Standardizer from saved numbers, and its bad numbers") {
    const nn::Standardizer<double> s(nn::Matrix<double>{{1, 2}}, nn::Matrix<double>{{0.5, 4}});
    CHECK(s.columns() == 2);
    std::vector<double> x{3, 2.5};
    s.apply(std::span<double>(x));
    CHECK(x == std::vector<double>{1, 2});
    using M = nn::Matrix<double>;
    CHECK_THROWS_WITH_AS(nn::Standardizer<double>(M{{1, 2}}, M{{1}}),
                         "a Standardizer needs a mean and a scale of 1 x n each, n > 0; was given 1 x 2 and 1 x 1",
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::Standardizer<double>(M{{1, 2}}, M{{1, 0}}),
                         "a Standardizer needs a finite mean and a finite scale > 0; column 1 has mean 2, scale 0",
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::Standardizer<double>(M{{std::numeric_limits<double>::quiet_NaN()}}, M{{1}}),
                         "a Standardizer needs a finite mean and a finite scale > 0; column 0 has mean nan, scale 1",
                         nn::Error);
}

TEST_CASE("a model whose parts do not fit is not saved, and the file stays as it was") {
    Folder folder;
    const std::string path = folder.file("keep.safetensors");
    nn::Model<float> model = trained_model<float>();
    nn::save(model, path);
    const std::string before = read_bytes(path);
    nn::Model<float> names = model;
    names.classes.pop_back();
    CHECK_THROWS_WITH_AS(nn::save(names, path), "the model has 2 class names, its network tells 3 classes apart",
                         nn::Error);
    nn::Model<float> scaling = model;
    scaling.scaling = nn::Standardizer<float>(nn::Matrix<float>{{0, 0, 0}}, nn::Matrix<float>{{1, 1, 1}});
    CHECK_THROWS_WITH_AS(nn::save(scaling, path), "the model's scaling has 3 columns, its network takes 2 inputs",
                         nn::Error);
    CHECK(read_bytes(path) == before);
    CHECK_THROWS_WITH_AS((void)model.predict({1, 2, 3}), "the model was given 3 inputs, it takes 2", nn::Error);
}

TEST_CASE("bad model metadata is refused with the key and what it holds") {
    Folder folder;
    const nn::Model<float> model = trained_model<float>();
    nn::save(model, folder.file("good.safetensors"));
    const std::string good = read_bytes(folder.file("good.safetensors"));
    const std::string mean = "\"input_mean\":\"" + nn::detail::join_numbers(model.scaling->mean()) + "\"";
    const std::string classes = "\"classes\":\"[\\\"low\\\",\\\"middle\\\",\\\"high\\\"]\"";
    REQUIRE(good.find(mean) != std::string::npos);
    REQUIRE(good.find(classes) != std::string::npos);
    // The same header length keeps the file valid but for the one change: pad with spaces.
    auto with = [&](const std::string& from, std::string to) {
        std::string bytes = good;
        REQUIRE(to.size() <= from.size());
        to.append(from.size() - to.size(), ' ');
        bytes.replace(bytes.find(from), from.size(), to);
        write_bytes(folder.file("bad.safetensors"), bytes);
        return folder.file("bad.safetensors");
    };
    const std::string file = folder.file("bad.safetensors");
    CHECK_THROWS_WITH_AS(
        nn::load_model<float>(with(mean, "\"input_mean\":\"1,x\"")),
        (file + ": the metadata's input_mean '1,x' is not 2 finite numbers separated by commas").c_str(), nn::Error);
    CHECK_THROWS_WITH_AS(nn::load_model<float>(with(mean, "\"input_mean\":\"1\"")),
                         (file + ": the metadata's input_mean holds 1 numbers, the network takes 2 inputs").c_str(),
                         nn::Error);
    CHECK_THROWS_WITH_AS(
        nn::load_model<float>(with(mean, "\"input_mean\":\"1,2,3\"")),
        (file + ": the metadata's input_mean '1,2,3' is not 2 finite numbers separated by commas").c_str(), nn::Error);
    CHECK_THROWS_WITH_AS(
        nn::load_model<float>(with(mean, "\"input_mean\":\"1,inf\"")),
        (file + ": the metadata's input_mean '1,inf' is not 2 finite numbers separated by commas").c_str(), nn::Error);
    CHECK_THROWS_WITH_AS(
        nn::load_model<float>(with(mean, "\"unused_key\":\"1\"")),
        (file + ": the metadata holds input_scale but not input_mean; a file holds both, or neither").c_str(),
        nn::Error);
    CHECK_THROWS_WITH_AS(nn::load_model<float>(with(classes, "\"classes\":\"[\\\"low\\\",\\\"high\\\"]\"")),
                         (file +
                          ": the metadata's classes '[\"low\",\"high\"]' is not a JSON array of 3 names, one per "
                          "class")
                             .c_str(),
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::load_model<float>(with(classes, "\"classes\":\"[1,2,3]\"")),
                         (file + ": the metadata's classes '[1,2,3]' holds something other than a name").c_str(),
                         nn::Error);
    CHECK_THROWS_AS(nn::load_model<float>(with(classes, "\"classes\":\"[\\\"low\\\"\"")), nn::Error); // malformed
}
