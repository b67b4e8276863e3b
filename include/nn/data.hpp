// nn/data.hpp: reading training data (FANN's format, CSV) and standardising inputs.
#pragma once

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/detail/file.hpp>
#include <nn/matrix.hpp>
#include <nn/rng.hpp>

namespace nn {

/// Inputs X and targets Y, one sample a row; for CSV data, the class names of Y's columns.
template <Real T>
struct Dataset {
    Matrix<T> X, Y;
    std::vector<std::string> classes;
};

namespace detail {

/// Splits text into whitespace-separated tokens, remembering the line of each.
class Tokens {
public:
    explicit Tokens(std::string_view text) : text_(text) {}

    /// The next token, or an empty view at the end.
    std::string_view next() {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
            if (text_[pos_] == '\n') ++line_;
            ++pos_;
        }
        const std::size_t start = pos_;
        while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
        token_line_ = line_;
        return text_.substr(start, pos_ - start);
    }
    std::size_t line() const { return token_line_; }

private:
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
    std::string_view text_;
    std::size_t pos_ = 0, line_ = 1, token_line_ = 1;
};

/// The finite number a whole token spells, or false.
inline bool parse_number(std::string_view token, double& value) {
    if (!token.empty() && token[0] == '+') token.remove_prefix(1);
    const char* end = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), end, value);
    return ec == std::errc() && ptr == end && std::isfinite(value);
}

/// Copies at most 40 characters of a token into a message-safe buffer.
struct Quoted {
    explicit Quoted(std::string_view s) {
        const std::size_t n = s.size() < 40 ? s.size() : 40;
        std::memcpy(text, s.data(), n);
        text[n] = '\0';
    }
    char text[41];
};

} // namespace detail

/// Reads a file in FANN's training-data format: a first line `pairs inputs outputs`, then each
/// pair's inputs and outputs as whitespace-separated numbers (line breaks do not matter).
/// A malformed file throws nn::Error naming the file and line.
///     auto [X, Y, classes] = nn::read_fann<float>("mushroom.train");
template <Real T>
Dataset<T> read_fann(const std::string& path);

namespace detail {
/// read_fann on a file's bytes; `file` names it in errors.
template <Real T>
Dataset<T> parse_fann(std::string_view text, const char* file) {
    detail::Tokens tokens(text);
    std::size_t header[3];
    const char* names[3] = {"pairs", "inputs", "outputs"};
    for (int k = 0; k < 3; ++k) {
        const std::string_view token = tokens.next();
        const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), header[k]);
        if (token.empty() || ec != std::errc() || ptr != token.data() + token.size() || header[k] == 0)
            detail::fail("%s:%zu: the header needs a positive whole number of %s, found '%s'", file, tokens.line(),
                         names[k], detail::Quoted(token).text);
    }
    const std::size_t pairs = header[0], inputs = header[1], outputs = header[2];
    // Every number takes at least two bytes (a digit and a separator): a header that promises
    // more than the file can hold is rejected before anything is allocated.
    if (inputs > text.size() || outputs > text.size() || pairs > text.size() / 2 / (inputs + outputs) + 1)
        detail::fail("%s: the header promises %zu pairs of %zu + %zu numbers, more than the file's %zu bytes can hold",
                     file, pairs, inputs, outputs, text.size());
    Dataset<T> data{Matrix<T>(pairs, inputs), Matrix<T>(pairs, outputs), {}};
    for (std::size_t i = 0; i < pairs; ++i)
        for (std::size_t j = 0; j < inputs + outputs; ++j) {
            const std::string_view token = tokens.next();
            if (token.empty())
                detail::fail("%s:%zu: the file ends in pair %zu of %zu; the header promises %zu numbers a pair", file,
                             tokens.line(), i + 1, pairs, inputs + outputs);
            double value;
            if (!detail::parse_number(token, value))
                detail::fail("%s:%zu: '%s' is not a finite number (pair %zu, %s %zu)", file, tokens.line(),
                             detail::Quoted(token).text, i + 1, j < inputs ? "input" : "output",
                             (j < inputs ? j : j - inputs) + 1);
            (j < inputs ? data.X(i, j) : data.Y(i, j - inputs)) = static_cast<T>(value);
        }
    if (const std::string_view extra = tokens.next(); !extra.empty())
        detail::fail("%s:%zu: '%s' follows the %zu pairs the header promises", file, tokens.line(),
                     detail::Quoted(extra).text, pairs);
    return data;
}
} // namespace detail

template <Real T>
Dataset<T> read_fann(const std::string& path) {
    return detail::parse_fann<T>(detail::read_file(path), path.c_str());
}

/// How read_csv reads a file.
struct CsvOptions {
    char delimiter = ',';
    bool header = true;                    ///< the first line names the columns and is skipped
    long label_column = -1;                ///< the column of class labels; negative counts from the end
    std::vector<std::string> classes = {}; ///< the classes, in Y's column order; empty: those found, sorted
};

/// Reads a CSV file of numeric columns and one label column, which becomes one-hot targets:
/// Y(i, k) = 1 when sample i is of class classes[k]. Labels are compared as trimmed text and
/// sorted (numerically when they are all numbers); pass the training set's `classes` when reading
/// a test set, so that the columns agree. Fields are not quoted. A malformed file throws nn::Error
/// naming the file, line and column.
///     auto train = nn::read_csv<float>("iris.csv");
///     auto test = nn::read_csv<float>("iris-test.csv", {.classes = train.classes});
template <Real T>
Dataset<T> read_csv(const std::string& path, const CsvOptions& options = {});

namespace detail {
/// read_csv on a file's bytes; `file` names it in errors.
template <Real T>
Dataset<T> parse_csv(std::string_view text, const char* file, const CsvOptions& options) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
        return s;
    };
    // Split into rows of fields, skipping blank lines.
    std::vector<std::vector<std::string_view>> rows;
    std::vector<std::size_t> line_of;
    std::size_t line = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        ++line;
        const std::string_view row = text.substr(pos, end - pos);
        pos = end + 1;
        if (trim(row).empty() || (options.header && line == 1)) continue;
        std::vector<std::string_view> fields;
        for (std::size_t start = 0;;) {
            const std::size_t comma = row.find(options.delimiter, start);
            fields.push_back(trim(row.substr(start, comma == std::string_view::npos ? comma : comma - start)));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        if (!rows.empty() && fields.size() != rows.front().size())
            detail::fail("%s:%zu: %zu fields, the first row has %zu", file, line, fields.size(), rows.front().size());
        rows.push_back(std::move(fields));
        line_of.push_back(line);
    }
    if (rows.empty()) detail::fail("%s: no data rows", file);
    const std::size_t width = rows.front().size();
    if (width < 2)
        detail::fail("%s: a row needs at least one input column and the label column, it has %zu", file, width);
    const long wanted = options.label_column < 0 ? long(width) + options.label_column : options.label_column;
    if (wanted < 0 || wanted >= long(width))
        detail::fail("%s: label_column %ld is out of range for %zu columns", file, options.label_column, width);
    const std::size_t label = std::size_t(wanted);

    std::vector<std::string> classes = options.classes;
    if (classes.empty()) {
        for (const auto& r : rows) classes.emplace_back(r[label]);
        std::sort(classes.begin(), classes.end());
        classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
        double a, b;
        const bool numeric = std::all_of(classes.begin(), classes.end(),
                                         [&](const std::string& c) { return detail::parse_number(c, a); });
        if (numeric)
            std::sort(classes.begin(), classes.end(), [&](const std::string& x, const std::string& y) {
                detail::parse_number(x, a);
                detail::parse_number(y, b);
                return a < b;
            });
    }
    Dataset<T> data{Matrix<T>(rows.size(), width - 1), Matrix<T>(rows.size(), classes.size()), classes};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t c = 0, x = 0; c < width; ++c) {
            const std::string_view field = rows[i][c];
            if (c == label) {
                const auto k = std::find(classes.begin(), classes.end(), field);
                if (k == classes.end())
                    detail::fail("%s:%zu: label '%s' is not one of the %zu classes given", file, line_of[i],
                                 detail::Quoted(field).text, classes.size());
                data.Y(i, std::size_t(k - classes.begin())) = T(1);
                continue;
            }
            double value;
            if (!detail::parse_number(field, value))
                detail::fail("%s:%zu: column %zu, '%s', is not a finite number", file, line_of[i], c + 1,
                             detail::Quoted(field).text);
            data.X(i, x++) = static_cast<T>(value);
        }
    }
    return data;
}
} // namespace detail

template <Real T>
Dataset<T> read_csv(const std::string& path, const CsvOptions& options) {
    return detail::parse_csv<T>(detail::read_file(path), path.c_str(), options);
}

/// Shifts and scales each input column to mean 0 and standard deviation 1, with the statistics
/// of the data it was fitted on (the training set), applied unchanged to any other (the test set).
/// A constant column is shifted only.
///     auto scale = nn::Standardizer<float>::fit(train.X);
///     scale.apply(train.X);
///     scale.apply(test.X);
template <Real T>
class Standardizer {
public:
    static Standardizer fit(MatrixView<const T> X) {
        if (X.rows() == 0) detail::fail("Standardizer::fit needs at least one sample");
        Standardizer s;
        s.mean_.resize(1, X.cols());
        s.scale_.resize(1, X.cols());
        for (std::size_t c = 0; c < X.cols(); ++c) {
            double sum = 0, squares = 0;
            for (std::size_t r = 0; r < X.rows(); ++r) sum += X(r, c);
            const double mean = sum / double(X.rows());
            for (std::size_t r = 0; r < X.rows(); ++r) squares += (X(r, c) - mean) * (X(r, c) - mean);
            const double sd = std::sqrt(squares / double(X.rows()));
            s.mean_(0, c) = static_cast<T>(mean);
            s.scale_(0, c) = sd > 0 ? static_cast<T>(1 / sd) : T(1);
        }
        return s;
    }

    /// X(:, c) = (X(:, c) - mean(c)) / sd(c), in place.
    void apply(MatrixView<T> X) const {
        if (X.cols() != mean_.cols())
            detail::fail("the Standardizer was fitted on %zu columns, X has %zu", mean_.cols(), X.cols());
        for (std::size_t r = 0; r < X.rows(); ++r)
            for (std::size_t c = 0; c < X.cols(); ++c) X(r, c) = (X(r, c) - mean_(0, c)) * scale_(0, c);
    }

    const Matrix<T>& mean() const { return mean_; }
    /// 1 / standard deviation of each column (1 for a constant column).
    const Matrix<T>& scale() const { return scale_; }

private:
    Matrix<T> mean_, scale_;
};

/// Splits a dataset in two: round(fraction x samples) of them, drawn at random from `seed`, go to
/// the second part; each part keeps the samples' order. For a test or validation set:
///     auto [train, test] = nn::split(data, 0.2);
template <Real T>
std::pair<Dataset<T>, Dataset<T>> split(const Dataset<T>& data, double fraction, std::uint64_t seed = 0) {
    if (!(fraction >= 0 && fraction <= 1)) detail::fail("split needs a fraction in [0, 1], was given %.9g", fraction);
    if (data.X.rows() != data.Y.rows()) detail::fail("split: X has %zu rows, Y has %zu", data.X.rows(), data.Y.rows());
    const std::size_t n = data.X.rows(), second = static_cast<std::size_t>(std::lround(fraction * double(n)));
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    Rng rng(seed);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    std::vector<bool> in_second(n, false);
    for (std::size_t k = 0; k < second; ++k) in_second[order[k]] = true;

    std::pair<Dataset<T>, Dataset<T>> parts{
        Dataset<T>{Matrix<T>(n - second, data.X.cols()), Matrix<T>(n - second, data.Y.cols()), data.classes},
        Dataset<T>{Matrix<T>(second, data.X.cols()), Matrix<T>(second, data.Y.cols()), data.classes}};
    for (std::size_t i = 0, a = 0, b = 0; i < n; ++i) {
        Dataset<T>& to = in_second[i] ? parts.second : parts.first;
        const std::size_t r = in_second[i] ? b++ : a++;
        for (std::size_t c = 0; c < data.X.cols(); ++c) to.X(r, c) = data.X(i, c);
        for (std::size_t c = 0; c < data.Y.cols(); ++c) to.Y(r, c) = data.Y(i, c);
    }
    return parts;
}

} // namespace nn
