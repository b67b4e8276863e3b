// Data readers, the standardiser and split.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include <unistd.h>

#include "helpers.hpp"
#include <nn/data.hpp>

namespace {

// A file in the build folder, removed when the test ends.
struct TempFile {
    // The pid keeps the names of test processes that ctest runs side by side apart.
    explicit TempFile(const std::string& text)
        : path("nn_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++) + ".txt") {
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::string path;
};

} // namespace

TEST_CASE_TEMPLATE("read_fann reads by tokens, whatever the line breaks", T, float, double) {
    const TempFile one_line("2 3 1\n1 2 3 0.5\n-1 0.25 1e-3 1\n");
    const TempFile split("2 3 1\n1 2\n3\n0.5 -1 0.25 1e-3\n1");
    for (const auto* f : {&one_line, &split}) {
        const auto [X, Y, classes] = nn::read_fann<T>(f->path);
        CHECK(X == (nn::Matrix<T>{{1, 2, 3}, {-1, 0.25, T(1e-3)}}));
        CHECK(Y == (nn::Matrix<T>{{0.5}, {1}}));
        CHECK(classes.empty());
    }
}

TEST_CASE("read_fann: a malformed file throws nn::Error naming the file and line") {
    auto message = [](const std::string& text) {
        const TempFile f(text);
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

TEST_CASE("read_csv: numeric columns in, a label column out as one-hot") {
    const TempFile f("a,b,label\n1,2,cat\n3, 4 ,dog\n\n5,6,cat\r\n");
    const auto d = nn::read_csv<double>(f.path);
    CHECK(d.X == (nn::Matrix<double>{{1, 2}, {3, 4}, {5, 6}}));
    CHECK(d.classes == std::vector<std::string>{"cat", "dog"});
    CHECK(d.Y == (nn::Matrix<double>{{1, 0}, {0, 1}, {1, 0}}));

    const TempFile numeric("10;0.5\n9;1.5\n2;2.5\n");
    const auto n = nn::read_csv<float>(numeric.path, {.delimiter = ';', .header = false, .label_column = 0});
    CHECK(n.classes == std::vector<std::string>{"2", "9", "10"}); // numeric labels sort as numbers
    CHECK(n.X == (nn::Matrix<float>{{0.5}, {1.5}, {2.5}}));
    CHECK(n.Y == (nn::Matrix<float>{{0, 0, 1}, {0, 1, 0}, {1, 0, 0}}));

    const TempFile test("a,b,label\n1,1,dog\n");
    const auto t = nn::read_csv<double>(test.path, {.classes = d.classes});
    CHECK(t.Y == (nn::Matrix<double>{{0, 1}}));
}

TEST_CASE("read_csv: malformed files") {
    const TempFile ragged("a,b,c\n1,2,x\n1,2\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(ragged.path), (ragged.path + ":3: 2 fields, the first row has 3").c_str(),
                         nn::Error);
    const TempFile text("a,b,c\n1,two,x\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(text.path),
                         (text.path + ":2: column 2, 'two', is not a finite number").c_str(), nn::Error);
    const TempFile unknown("a,c\n1,bird\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(unknown.path, {.classes = {"cat", "dog"}}),
                         (unknown.path + ":2: label 'bird' is not one of the 2 classes given").c_str(), nn::Error);
    const TempFile empty("a,b\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(empty.path), (empty.path + ": no data rows after the header").c_str(),
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(unknown.path, {.label_column = 5}),
                         (unknown.path + ": label_column 5 with 1 target column is out of range for 2 columns").c_str(),
                         nn::Error);
}

TEST_CASE("read_csv: the header row is detected, and a headerless file keeps every row") {
    const TempFile headerless("5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,3.3,virginica\n");
    const auto d = nn::read_csv<float>(headerless.path);
    CHECK(d.X.rows() == 3); // the first sample is data, not a header
    CHECK(d.X(0, 0) == 5.1f);
    CHECK(d.classes == std::vector<std::string>{"setosa", "virginica"});
    const TempFile named("sepal,petal,species\n5.1,3.5,setosa\n");
    CHECK(nn::read_csv<float>(named.path).X.rows() == 1);
    // A header of numbers cannot be told from data: say so, and it is skipped.
    const TempFile numbered("1,2,3\n0.5,0.25,1\n0.75,0.5,0\n");
    CHECK(nn::read_csv<float>(numbered.path).X.rows() == 3);
    CHECK(nn::read_csv<float>(numbered.path, {.header = true}).X.rows() == 2);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(named.path, {.header = false}),
                         (named.path + ":1: column 1, 'sepal', is not a finite number").c_str(), nn::Error);
    // A first row of names and numbers could be either: read_csv asks instead of guessing.
    const TempFile mixed("x1,2.5,y\n1,2,a\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(mixed.path),
                         (mixed.path + ":1: the first row's input columns hold both numbers and text: if it is a "
                                       "header, pass .header = true; if it is data, .header = false (and fix its "
                                       "fields)")
                             .c_str(),
                         nn::Error);
    CHECK(nn::read_csv<float>(mixed.path, {.header = true}).X.rows() == 1);
}

TEST_CASE("read_csv: numeric targets for a regression, one column or several") {
    const TempFile f("x1,x2,y\n1,2,0.5\n3,4,1.25\n5,6,-2\n");
    const auto one = nn::read_csv<double>(f.path, {.targets = nn::CsvTargets::Values});
    CHECK(one.X == (nn::Matrix<double>{{1, 2}, {3, 4}, {5, 6}}));
    CHECK(one.Y == (nn::Matrix<double>{{0.5}, {1.25}, {-2}}));
    CHECK(one.classes.empty());
    const auto two =
        nn::read_csv<double>(f.path, {.targets = nn::CsvTargets::Values, .label_column = -2, .target_columns = 2});
    CHECK(two.X == (nn::Matrix<double>{{1}, {3}, {5}}));
    CHECK(two.Y == (nn::Matrix<double>{{2, 0.5}, {4, 1.25}, {6, -2}}));
    const auto first = nn::read_csv<double>(f.path, {.targets = nn::CsvTargets::Values, .label_column = 0});
    CHECK(first.X == (nn::Matrix<double>{{2, 0.5}, {4, 1.25}, {6, -2}}));
    CHECK(first.Y == (nn::Matrix<double>{{1}, {3}, {5}}));
    CHECK_THROWS_WITH_AS(nn::read_csv<double>(f.path, {.target_columns = 2}),
                         (f.path + ": CsvOptions.target_columns is 2; class labels take one column (or use .targets = "
                                   "nn::CsvTargets::Values)")
                             .c_str(),
                         nn::Error);
    CHECK_THROWS_WITH_AS(
        nn::read_csv<double>(f.path, {.targets = nn::CsvTargets::Values, .label_column = -1, .target_columns = 2}),
        (f.path + ": label_column -1 with 2 target columns is out of range for 3 columns").c_str(), nn::Error);
}

TEST_CASE("read_csv: a label column that looks continuous is refused, naming the option to use") {
    const TempFile fractional("a,y\n1,0.5\n2,1.5\n3,0.5\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(fractional.path),
                         (fractional.path + ": the label column (column 2) holds '0.5', a number that is not whole: "
                                            "it looks like a regression target, not classes; read it as values with "
                                            ".targets = nn::CsvTargets::Values, or pass its .classes")
                             .c_str(),
                         nn::Error);
    std::string rows = "a,y\n";
    for (int i = 0; i < 300; ++i) rows += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
    const TempFile many(rows);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(many.path),
                         (many.path + ": the label column (column 2) holds 300 distinct labels in 300 rows: it looks "
                                      "like a regression target or an identifier, not classes; read it as values "
                                      "with .targets = nn::CsvTargets::Values, or pass its .classes")
                             .c_str(),
                         nn::Error);
    // Given, many classes are fine, and found by a sorted index rather than one by one.
    std::vector<std::string> classes;
    for (int i = 0; i < 300; ++i) classes.push_back(std::to_string(i * 7));
    const auto d = nn::read_csv<float>(many.path, {.classes = classes});
    CHECK(d.Y.cols() == 300);
    CHECK(d.Y(299, 299) == 1.0f);
    CHECK(d.Y(5, 5) == 1.0f);
    // Whole-number labels (0/1, digits) remain classes.
    const TempFile digits("a,y\n1,0\n2,1\n3,9\n");
    CHECK(nn::read_csv<float>(digits.path).classes == std::vector<std::string>{"0", "1", "9"});
}

TEST_CASE("readers: a number too large for T, or with two signs, names the file, line and column") {
    const TempFile csv("a,b,y\n1,2,0\n3,1e39,1\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(csv.path),
                         (csv.path + ":3: column 2, '1e39', is too large for float").c_str(), nn::Error);
    CHECK(nn::read_csv<double>(csv.path).X(1, 1) == 1e39);
    const TempFile fann("1 2 1\n1 -1e39 0\n");
    CHECK_THROWS_WITH_AS(nn::read_fann<float>(fann.path),
                         (fann.path + ":2: '-1e39' is too large for float (pair 1, input 2)").c_str(), nn::Error);
    const TempFile signs("a,b,y\n1,+-1,0\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<double>(signs.path),
                         (signs.path + ":2: column 2, '+-1', is not a finite number").c_str(), nn::Error);
    const TempFile plus("a,b,y\n1,+2,0\n");
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
