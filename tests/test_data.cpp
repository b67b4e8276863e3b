// Data readers, the standardiser and split.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include <unistd.h>

#include "helpers.hpp"
#include <nn/csv.hpp>
#include <nn/data.hpp>

TEST_CASE_TEMPLATE("read_fann reads by tokens, whatever the line breaks", T, float, double) {
    const test::TempFile one_line("2 3 1\n1 2 3 0.5\n-1 0.25 1e-3 1\n");
    const test::TempFile split("2 3 1\n1 2\n3\n0.5 -1 0.25 1e-3\n1");
    for (const auto* f : {&one_line, &split}) {
        const auto [X, Y, classes] = nn::read_fann<T>(f->path);
        CHECK(X == (nn::Matrix<T>{{1, 2, 3}, {-1, 0.25, T(1e-3)}}));
        CHECK(Y == (nn::Matrix<T>{{0.5}, {1}}));
        CHECK(classes.empty());
    }
}

TEST_CASE("read_fann: a malformed file throws nn::Error naming the file and line") {
    auto message = [](const std::string& text) {
        const test::TempFile f(text);
        try {
            (void)nn::read_fann<float>(f.path);
        } catch (const nn::Error& e) {
            const std::string m = e.what();
            return m.substr(m.find(':') + 1); // drop the (temporary) file name
        }
        return std::string("no error");
    };
    CHECK(message("") == "1: the header needs a positive whole number of pairs, found ''");
    CHECK(message("2 x 1") == "1: the header needs a positive whole number of inputs, found 'x'");
    CHECK(message("2 2 0\n") == "1: the header needs a positive whole number of outputs, found '0'");
    CHECK(message("2 2 1\n1 2 3\n4 5") == "3: the file ends in pair 2 of 2; the header promises 3 numbers a pair");
    CHECK(message("1 2 1\n1 abc 3\n") == "2: 'abc' is not a finite number (pair 1, input 2)");
    CHECK(message("1 2 1\n1 2 nan\n") == "2: 'nan' is not a finite number (pair 1, output 1)");
    CHECK(message("1 2 1\n1 2 3\n4\n") == "3: '4' follows the 1 pairs the header promises");
    CHECK(message("99999999999 2 1\n1 2 3\n").find("more than the file's") != std::string::npos);
    CHECK(message("18446744073709551615 18446744073709551615 1\n").find("the header") != std::string::npos);
    CHECK_THROWS_WITH_AS(nn::read_fann<float>("/nonexistent/file.train"),
                         "cannot open '/nonexistent/file.train': No such file or directory", nn::Error);
}

TEST_CASE("readers: a number too large for T, or with two signs, names the file, line and column") {
    const test::TempFile csv("a,b,y\n1,2,p\n3,1e39,q\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(csv.path),
                         (csv.path + ":3: column 2, '1e39', is too large for float").c_str(), nn::Error);
    CHECK(nn::read_csv<double>(csv.path).X(1, 1) == 1e39);
    const test::TempFile fann("1 2 1\n1 -1e39 0\n");
    CHECK_THROWS_WITH_AS(nn::read_fann<float>(fann.path),
                         (fann.path + ":2: '-1e39' is too large for float (pair 1, input 2)").c_str(), nn::Error);
    const test::TempFile signs("a,b,y\n1,+-1,p\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<double>(signs.path),
                         (signs.path + ":2: column 2 (b), '+-1', is not a finite number").c_str(), nn::Error);
    const test::TempFile plus("a,b,y\n1,+2,p\n");
    CHECK(nn::read_csv<double>(plus.path).X(0, 1) == 2);
}

TEST_CASE_TEMPLATE("Standardizer: fitted on training data, applied to any", T, float, double) {
    nn::Matrix<T> train{{1, 10, 7}, {3, 20, 7}}, test{{2, 40, 8}};
    const auto s = nn::Standardizer<T>::fit(train);
    s.apply(train);
    s.apply(test);
    CHECK(train == (nn::Matrix<T>{{-1, -1, 0}, {1, 1, 0}}));
    CHECK(test == (nn::Matrix<T>{{0, 5, 1}})); // the constant column is only shifted
    nn::Matrix<T> wrong(1, 2);
    CHECK_THROWS_WITH_AS(s.apply(wrong), "the Standardizer was fitted on 3 columns, X has 2", nn::Error);
    nn::Matrix<T> bad = train;
    bad(1, 2) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH_AS(nn::Standardizer<T>::fit(bad), "Standardizer::fit: X(1, 2) is nan; the data must be finite",
                         nn::Error);
    // inverse undoes apply: targets standardised for training, outputs back in their own units.
    s.inverse(train);
    s.inverse(test);
    CHECK(train == (nn::Matrix<T>{{1, 10, 7}, {3, 20, 7}}));
    CHECK(test == (nn::Matrix<T>{{2, 40, 8}}));
    CHECK(s.scale() == (nn::Matrix<T>{{1, T(0.2), 1}})); // 1 / the deviations 1, 5 and (constant) none
    CHECK_THROWS_WITH_AS(s.inverse(wrong), "the Standardizer was fitted on 3 columns, Z has 2", nn::Error);
    nn::Rng rng(4);
    nn::Matrix<T> prices(50, 2);
    for (std::size_t i = 0; i < prices.size(); ++i) prices.data()[i] = rng.uniform(T(25), T(346));
    const nn::Matrix<T> original = prices;
    const auto p = nn::Standardizer<T>::fit(prices);
    p.apply(prices);
    p.inverse(prices);
    for (std::size_t i = 0; i < prices.size(); ++i) // two roundings each way
        CHECK(std::abs(prices.data()[i] - original.data()[i]) <= 4 * std::numeric_limits<T>::epsilon() * T(346));
}

TEST_CASE("read_fann reads FANN's own benchmark files, when they are beside the checkout") {
    const std::string folder = NN_FANN_DATA_DIR;
    if (!std::ifstream(folder + "/building.train")) {
        MESSAGE("skipped: no FANN datasets in " << folder);
        return;
    }
    struct Shape {
        const char* name;
        std::size_t pairs, inputs, outputs;
    };
    for (const Shape s : {Shape{"building", 2104, 14, 3},
                          {"diabetes", 384, 8, 2},
                          {"gene", 1588, 120, 3},
                          {"mushroom", 4062, 125, 2},
                          {"soybean", 342, 82, 19},
                          {"thyroid", 3600, 21, 3},
                          {"two-spiral", 193, 2, 1}}) {
        CAPTURE(s.name);
        const auto d = nn::read_fann<float>(folder + "/" + s.name + ".train");
        CHECK(d.X.rows() == s.pairs);
        CHECK(d.X.cols() == s.inputs);
        CHECK(d.Y.cols() == s.outputs);
    }
}

TEST_CASE("split draws the second part at random and keeps the order within each part") {
    nn::Dataset<double> d{nn::Matrix<double>(10, 1), nn::Matrix<double>(10, 1), {"a"}};
    for (std::size_t i = 0; i < 10; ++i) d.X(i, 0) = d.Y(i, 0) = double(i);
    const auto [a, b] = nn::split(d, 0.3, 5);
    REQUIRE(a.X.rows() == 7);
    REQUIRE(b.X.rows() == 3);
    CHECK(a.classes == d.classes);
    std::vector<int> seen(10, 0);
    for (const auto* part : {&a, &b})
        for (std::size_t i = 0; i < part->X.rows(); ++i) {
            CHECK(part->X(i, 0) == part->Y(i, 0)); // rows stay whole
            if (i > 0) CHECK(part->X(i - 1, 0) < part->X(i, 0));
            ++seen[std::size_t(part->X(i, 0))];
        }
    for (int s : seen) CHECK(s == 1);
    const auto [a2, b2] = nn::split(d, 0.3, 5);
    CHECK(b2.X == b.X);
    const auto [a3, b3] = nn::split(d, 0.3, 6);
    CHECK_FALSE(b3.X == b.X);
    CHECK(nn::split(d, 0.0).second.X.rows() == 0);
    CHECK_THROWS_WITH_AS(nn::split(d, 1.5), "split needs a fraction in [0, 1], was given 1.5", nn::Error);
}
