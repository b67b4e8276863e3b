// read_csv: RFC 4180 files, streamed; the header detected, labels as classes or targets as values,
// and every malformed file refused with the line and column.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/csv.hpp>

TEST_CASE("read_csv: numeric columns in, a label column out as one-hot") {
    const test::TempFile f("a,b,label\n1,2,cat\n3, 4 ,dog\n\n5,6,cat\r\n");
    const auto d = nn::read_csv<double>(f.path);
    CHECK(d.X == (nn::Matrix<double>{{1, 2}, {3, 4}, {5, 6}}));
    CHECK(d.classes == std::vector<std::string>{"cat", "dog"});
    CHECK(d.Y == (nn::Matrix<double>{{1, 0}, {0, 1}, {1, 0}}));

    const test::TempFile numeric("10;0.5\n9;1.5\n2;2.5\n");
    const auto n = nn::read_csv<float>(
        numeric.path, {.header = false, .targets = nn::CsvTargets::Classes, .label_column = 0}); // ';' detected
    CHECK(n.classes == std::vector<std::string>{"2", "9", "10"}); // numeric labels sort as numbers
    CHECK(n.X == (nn::Matrix<float>{{0.5}, {1.5}, {2.5}}));
    CHECK(n.Y == (nn::Matrix<float>{{0, 0, 1}, {0, 1, 0}, {1, 0, 0}}));

    const test::TempFile test("a,b,label\n1,1,dog\n");
    const auto t = nn::read_csv<double>(test.path, {.classes = d.classes});
    CHECK(t.Y == (nn::Matrix<double>{{0, 1}}));
}

TEST_CASE("read_csv: malformed files") {
    const test::TempFile ragged("a,b,c\n1,2,x\n1,2\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(ragged.path, {.delimiter = ','}),
                         (ragged.path + ":3: 2 fields, the first row has 3").c_str(), nn::Error);
    const test::TempFile text("a,b,c\n1,two,x\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(text.path),
                         (text.path + ":2: column 2 (b), 'two', is not a finite number").c_str(), nn::Error);
    const test::TempFile unknown("a,c\n1,bird\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(unknown.path, {.classes = {"cat", "dog"}}),
                         (unknown.path + ":2: label 'bird' is not one of the 2 classes given").c_str(), nn::Error);
    const test::TempFile empty("a,b\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(empty.path), (empty.path + ": no data rows after the header").c_str(),
                         nn::Error);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(unknown.path, {.label_column = 5}),
                         (unknown.path + ": label_column 5 with 1 target column is out of range for 2 columns").c_str(),
                         nn::Error);
}

TEST_CASE("read_csv: the header row is detected, and a headerless file keeps every row") {
    const test::TempFile headerless("5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,3.3,virginica\n");
    const auto d = nn::read_csv<float>(headerless.path);
    CHECK(d.X.rows() == 3); // the first sample is data, not a header
    CHECK(d.X(0, 0) == 5.1f);
    CHECK(d.classes == std::vector<std::string>{"setosa", "virginica"});
    const test::TempFile named("sepal,petal,species\n5.1,3.5,setosa\n");
    CHECK(nn::read_csv<float>(named.path).X.rows() == 1);
    // A header of numbers cannot be told from data: say so, and it is skipped.
    const test::TempFile numbered("1,2,3\n0.5,0.25,3\n0.75,0.5,3\n");
    CHECK(nn::read_csv<float>(numbered.path).X.rows() == 3);
    CHECK(nn::read_csv<float>(numbered.path, {.header = true}).X.rows() == 2);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(named.path, {.header = false}),
                         (named.path + ":1: column 1, 'sepal', is not a finite number").c_str(), nn::Error);
    // A first row of names and numbers could be either: read_csv asks instead of guessing.
    const test::TempFile mixed("x1,2.5,y\n1,2,a\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(mixed.path),
                         (mixed.path + ":1: the first row's input columns hold both numbers and text: if it is a "
                                       "header, pass .header = true; if it is data, .header = false (and fix its "
                                       "fields); if it is neither, pass over it with .skip_rows = 1")
                             .c_str(),
                         nn::Error);
    CHECK(nn::read_csv<float>(mixed.path, {.header = true}).X.rows() == 1);
}

TEST_CASE("read_csv: numeric targets for a regression, one column or several") {
    const test::TempFile f("x1,x2,y\n1,2,0.5\n3,4,1.25\n5,6,-2\n");
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
    const std::string advice = "for a regression, read it as values with .targets = nn::CsvTargets::Values; for "
                               "classes, say so with .targets = nn::CsvTargets::Classes (or pass the .classes)";
    const test::TempFile fractional("a,y\n1,0.5\n2,1.5\n3,0.5\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(fractional.path),
                         (fractional.path + ": the label column (column 2) holds '0.5', a number that is not whole: "
                                            "it looks like a regression target, not classes; " + advice)
                             .c_str(),
                         nn::Error);
    CHECK(nn::read_csv<float>(fractional.path, {.targets = nn::CsvTargets::Classes}).classes ==
          std::vector<std::string>{"0.5", "1.5"});
    std::string rows = "a,y\n";
    for (int i = 0; i < 300; ++i) rows += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
    const test::TempFile many(rows);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(many.path),
                         (many.path + ": the label column (column 2) holds 300 distinct whole numbers in 300 rows, "
                                      "more than the 20 that are read as classes unasked; " + advice)
                             .c_str(),
                         nn::Error);
    // Text labels are classes, unless they look like an identifier: many, most rows their own.
    std::string names = "a,y\n";
    for (int i = 0; i < 50; ++i) names += std::to_string(i) + ",id" + std::to_string(i) + "\n";
    const test::TempFile ids(names);
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(ids.path),
                         (ids.path + ": the label column (column 2) holds 50 distinct labels in 50 rows: it looks like "
                                     "an identifier, not classes; " + advice)
                             .c_str(),
                         nn::Error);
    CHECK(nn::read_csv<float>(ids.path, {.targets = nn::CsvTargets::Classes}).Y.cols() == 50);
    // Given, many classes are fine, and found by a sorted index rather than one by one.
    std::vector<std::string> classes;
    for (int i = 0; i < 300; ++i) classes.push_back(std::to_string(i * 7));
    const auto d = nn::read_csv<float>(many.path, {.classes = classes});
    CHECK(d.Y.cols() == 300);
    CHECK(d.Y(299, 299) == 1.0f);
    CHECK(d.Y(5, 5) == 1.0f);
    // A few whole numbers, each on two rows or more (0/1, digits), are classes; one seen once
    // could be a regression's target (a count, a price) and is asked about.
    const test::TempFile digits("a,y\n1,0\n2,1\n3,9\n4,9\n5,0\n6,1\n");
    CHECK(nn::read_csv<float>(digits.path).classes == std::vector<std::string>{"0", "1", "9"});
    const test::TempFile once("a,y\n1,0\n2,1\n3,9\n4,0\n5,1\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(once.path),
                         (once.path + ": the label column (column 2) holds 3 distinct whole numbers, and '9' on one "
                                      "row only: it may be a regression target rather than classes; " + advice)
                             .c_str(),
                         nn::Error);
    CHECK(nn::read_csv<float>(once.path, {.targets = nn::CsvTargets::Classes}).classes.size() == 3);
    CHECK(nn::read_csv<float>(once.path, {.targets = nn::CsvTargets::Values}).Y ==
          (nn::Matrix<float>{{0}, {1}, {9}, {0}, {1}}));
}

TEST_CASE("read_csv: a byte order mark, a delimiter ending every line, CR-only line ends") {
    // A UTF-8 byte order mark before a headerless file with one input: every row is data.
    const test::TempFile bom("\xEF\xBB\xBF"
                             "1.5,a\n2.5,b\n3.5,a\n");
    const auto b = nn::read_csv<float>(bom.path);
    CHECK(b.X == (nn::Matrix<float>{{1.5f}, {2.5f}, {3.5f}}));
    CHECK(b.classes == std::vector<std::string>{"a", "b"});
    // A delimiter at the end of every line: the empty last column is left out, the label kept.
    const test::TempFile trailing("x1,x2,y,\n1,2,0,\n3,4,1,\n5,6,1,\n7,8,0,\n");
    const auto t = nn::read_csv<float>(trailing.path);
    CHECK(t.X == (nn::Matrix<float>{{1, 2}, {3, 4}, {5, 6}, {7, 8}}));
    CHECK(t.classes == std::vector<std::string>{"0", "1"});
    CHECK(t.Y == (nn::Matrix<float>{{1, 0}, {0, 1}, {0, 1}, {1, 0}}));
    const test::TempFile trailing_values("1,2,0.5,\n3,4,1.5,\n");
    const auto v = nn::read_csv<double>(trailing_values.path, {.targets = nn::CsvTargets::Values});
    CHECK(v.X == (nn::Matrix<double>{{1, 2}, {3, 4}}));
    CHECK(v.Y == (nn::Matrix<double>{{0.5}, {1.5}}));
    // An empty column in the middle is no trailing delimiter: a number is missing there.
    const test::TempFile hole("a,b,y\n1,,a\n2,,b\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(hole.path),
                         (hole.path + ":2: column 2 (b), '', is not a finite number").c_str(), nn::Error);
    // Lines ended by \r alone (classic Mac OS), and by \r\n.
    const test::TempFile cr("a,b,y\r1,2,x\r3,4,y\r");
    const auto c = nn::read_csv<float>(cr.path);
    CHECK(c.X == (nn::Matrix<float>{{1, 2}, {3, 4}}));
    const test::TempFile crlf("a,b,y\r\n1,2,x\r\n\r\n3,4,y\r\n");
    CHECK(nn::read_csv<float>(crlf.path).X == c.X);
    const test::TempFile ragged_cr("a,b,y\r1,2,x\r3,4\r");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(ragged_cr.path),
                         (ragged_cr.path + ":3: 2 fields, the first row has 3 (delimiter ',' detected; another: "
                                           ".delimiter)")
                             .c_str(),
                         nn::Error);
}

TEST_CASE("read_csv: RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes") {
    const test::TempFile quoted("population,area,\"city, state\"\n"
                                "8.3,783.8,\"New York, NY\"\n"
                                "\"3.9\", 1213.9 ,\"Los Angeles, CA\"\n"
                                "0.1,\"1.5\",\"say \"\"hi\"\"\"\n"
                                "2.7,606.1,\"Chicago,\nIL\"\n"
                                "8.4,783.8,\"New York, NY\"\n");
    const auto d = nn::read_csv<double>(quoted.path);
    CHECK(d.X == (nn::Matrix<double>{{8.3, 783.8}, {3.9, 1213.9}, {0.1, 1.5}, {2.7, 606.1}, {8.4, 783.8}}));
    CHECK(d.classes == std::vector<std::string>{"Chicago,\nIL", "Los Angeles, CA", "New York, NY", "say \"hi\""});
    CHECK(d.Y(0, 2) == 1);
    CHECK(d.Y(3, 0) == 1);
    // A line break inside quotes counts for the lines of later messages.
    const test::TempFile after("a,y\n\"1\",\"x\ny\"\n2,z\nthree,w\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(after.path),
                         (after.path + ":5: column 1 (a), 'three', is not a finite number").c_str(), nn::Error);
    const test::TempFile unclosed("a,y\n1,\"open\n2,b\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(unclosed.path),
                         (unclosed.path + ":4: the quoted field that opens on line 2 is not closed").c_str(),
                         nn::Error);
    const test::TempFile text_after("a,y\n1,\"b\"c\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(text_after.path),
                         (text_after.path +
                          ":2: column 2: 'c' after the closing quote of a quoted field (a quote inside quotes is "
                          "written \"\")")
                             .c_str(),
                         nn::Error);
    // Tabs and spaces as delimiters are not trimmed away.
    const test::TempFile tabs("1\t2\ta\n3\t4\tb\n");
    CHECK(nn::read_csv<float>(tabs.path, {.delimiter = '\t'}).X == (nn::Matrix<float>{{1, 2}, {3, 4}}));
    const test::TempFile spaces("1 2 a\n3 4 b\n");
    CHECK(nn::read_csv<float>(spaces.path, {.delimiter = ' '}).X == (nn::Matrix<float>{{1, 2}, {3, 4}}));
}

TEST_CASE("read_csv: files read in blocks give what the bytes in memory give") {
    // Longer than one block of the file reader (1 MB), with quoted fields across block ends.
    std::string text = "x1,x2,label\n";
    nn::Rng rng(3);
    std::size_t rows = 0;
    while (text.size() < (std::size_t(1) << 21) + 12345) {
        text += std::to_string(rng.below(1000)) + ",\"" + std::to_string(rng.below(100)) + ".5\",\"class " +
                std::to_string(rng.below(3)) + "\"\r\n";
        ++rows;
    }
    const test::TempFile big(text);
    const auto file = nn::read_csv<double>(big.path);
    const auto memory = nn::detail::parse_csv<double>(text, "memory", {});
    CHECK(file.X.rows() == rows);
    CHECK(file.X == memory.X);
    CHECK(file.Y == memory.Y);
    CHECK(file.classes == std::vector<std::string>{"class 0", "class 1", "class 2"});
}

TEST_CASE("read_csv: the delimiter is detected, or asked for") {
    const nn::Matrix<float> X{{1, 2}, {3, 4}, {5, 6}};
    for (const char* text : {"x1,x2,y\n1,2,a\n3,4,b\n5,6,a\n", "x1;x2;y\n1;2;a\n3;4;b\n5;6;a\n",
                             "x1\tx2\ty\n1\t2\ta\n3\t4\tb\n5\t6\ta\n", "x1 x2  y\n 1 2 a\n3\t4 b \n5   6\ta\n"}) {
        CAPTURE(text);
        const test::TempFile f(text);
        const auto d = nn::read_csv<float>(f.path);
        CHECK(d.X == X);
        CHECK(d.classes == std::vector<std::string>{"a", "b"});
    }
    // Quoted fields hide what they hold: the commas in "a, b" are not counted.
    const test::TempFile quoted("\"x, 1\";x2;y\n1;2;\"a, b\"\n3;4;c\n5;6;c\n");
    CHECK(nn::read_csv<float>(quoted.path).X == X);
    // Both a comma and a semicolon on every line, as often: which one separates cannot be known.
    const test::TempFile both("1,5;2,5;a\n2,5;3,5;b\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(both.path),
                         (both.path + ": cannot tell the delimiter: ',' and ';' are both on every line, as often; "
                                      "pass it: .delimiter = ',' (or ';')")
                             .c_str(),
                         nn::Error);
    // When one is as often on every line and the other is not, it is the one.
    const test::TempFile steady("a;b;y\n1,5;2;0\n2;3,25;1\n1;1;0\n2;2;1\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(steady.path),
                         (steady.path + ":2: column 1 (a), '1,5', is not a finite number").c_str(), nn::Error);
    // A line of one field among lines of several, with nothing on every line: asked for.
    const test::TempFile unclear("1 2 a\n3\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(unclear.path),
                         (unclear.path + ": cannot tell the delimiter: no ',', ';' or tab on every line, and not "
                                         "every line splits at blanks (runs of spaces); pass it: .delimiter = ','")
                             .c_str(),
                         nn::Error);
    // Whitespace-separated columns given as ' ' are runs of blanks, as when detected.
    const test::TempFile named("\"x one\" y\n1 a\n3 b\n"); // a quoted name with a blank in it: two fields
    CHECK(nn::read_csv<float>(named.path).X == (nn::Matrix<float>{{1}, {3}}));
    const test::TempFile runs("1  2\t a\n3 4 b\n");
    CHECK(nn::read_csv<float>(runs.path, {.delimiter = ' '}).X == (nn::Matrix<float>{{1, 2}, {3, 4}}));
}

TEST_CASE("read_csv: lines before the data are skipped, and a file of one column is read") {
    // scikit-learn's files start with a line of counts and class names.
    const test::TempFile counts("3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n6.3,3.3,0\n7.0,3.2,1\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(counts.path),
                         (counts.path + ":2: 3 fields, the first row has 4 (a first line that is neither header nor "
                                        "data is passed over with .skip_rows = 1) (delimiter ',' detected; another: "
                                        ".delimiter)")
                             .c_str(),
                         nn::Error);
    const auto d = nn::read_csv<float>(counts.path, {.skip_rows = 1});
    CHECK(d.X == (nn::Matrix<float>{{5.1f, 3.5f}, {4.9f, 3.0f}, {6.3f, 3.3f}, {7.0f, 3.2f}}));
    CHECK(d.classes == std::vector<std::string>{"0", "1"});
    const test::TempFile titled("# measured 2026-12-05\n\nx,y\n1,a\n2,b\n");
    CHECK(nn::read_csv<float>(titled.path, {.skip_rows = 1}).X == (nn::Matrix<float>{{1}, {2}}));
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(titled.path, {.skip_rows = 5}),
                         (titled.path + ": .skip_rows is 5, the file has 4 rows").c_str(), nn::Error);

    const test::TempFile column("151\n75\n141\n");
    CHECK_THROWS_WITH_AS(nn::read_csv<float>(column.path),
                         (column.path + ": a row needs at least one input column and 1 target column, it has 1 (a "
                                        "file of one column is read with .targets = nn::CsvTargets::None) (delimiter "
                                        "',' detected; another: .delimiter)")
                             .c_str(),
                         nn::Error);
    const auto c = nn::read_csv<double>(column.path, {.targets = nn::CsvTargets::None});
    CHECK(c.X == (nn::Matrix<double>{{151}, {75}, {141}}));
    CHECK(c.Y.rows() == 3);
    CHECK(c.Y.cols() == 0);
    CHECK(c.classes.empty());
    CHECK_THROWS_WITH_AS(nn::read_csv<double>(column.path, {.targets = nn::CsvTargets::None, .classes = {"a"}}),
                         (column.path + ": CsvOptions.classes are given, but .targets is not "
                                        "nn::CsvTargets::Classes").c_str(),
                         nn::Error);
}
