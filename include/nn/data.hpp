// nn/data.hpp: training data: Dataset, reading FANN's format, splitting off a test set and
// standardising inputs. CSV files: csv.hpp.
#pragma once

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
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

/// The finite number a whole token spells (one optional sign, '+' or '-'), or false.
inline bool parse_number(std::string_view token, double& value) {
    if (token.size() > 1 && token[0] == '+' && token[1] != '-') token.remove_prefix(1);
    const char* end = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), end, value);
    return ec == std::errc() && ptr == end && std::isfinite(value);
}

/// True when `value` is finite as a T too (1e39 is a double but no float).
template <Real T>
bool fits(double value) {
    return std::isfinite(static_cast<T>(value));
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
            if (!detail::fits<T>(value))
                detail::fail("%s:%zu: '%s' is too large for %s (pair %zu, %s %zu)", file, tokens.line(),
                             detail::Quoted(token).text, sizeof(T) == 4 ? "float" : "double", i + 1,
                             j < inputs ? "input" : "output", (j < inputs ? j : j - inputs) + 1);
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
        for (std::size_t i = 0; i < X.size(); ++i)
            if (!std::isfinite(X.data()[i]))
                detail::fail("Standardizer::fit: X(%zu, %zu) is %.9g; the data must be finite", i / X.cols(),
                             i % X.cols(), double(X.data()[i]));
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

    /// A Standardizer from saved numbers: each column's mean and scale (1 / standard deviation),
    /// both 1 x columns, finite, and the scales > 0; nn::Error otherwise.
    Standardizer(Matrix<T> mean, Matrix<T> scale) : mean_(std::move(mean)), scale_(std::move(scale)) {
        if (mean_.rows() != 1 || scale_.rows() != 1 || mean_.cols() != scale_.cols() || mean_.cols() == 0)
            detail::fail(
                "a Standardizer needs a mean and a scale of 1 x n each, n > 0; was given %zu x %zu and %zu x %zu",
                mean_.rows(), mean_.cols(), scale_.rows(), scale_.cols());
        for (std::size_t c = 0; c < mean_.cols(); ++c)
            if (!std::isfinite(mean_(0, c)) || !std::isfinite(scale_(0, c)) || !(scale_(0, c) > T(0)))
                detail::fail("a Standardizer needs a finite mean and a finite scale > 0; column %zu has mean %.9g, "
                             "scale %.9g",
                             c, double(mean_(0, c)), double(scale_(0, c)));
    }

    /// The number of columns (features) it scales.
    std::size_t columns() const { return mean_.cols(); }

    /// X(:, c) = (X(:, c) - mean(c)) / sd(c), in place.
    void apply(MatrixView<T> X) const {
        if (X.cols() != mean_.cols())
            detail::fail("the Standardizer was fitted on %zu columns, X has %zu", mean_.cols(), X.cols());
        for (std::size_t r = 0; r < X.rows(); ++r)
            for (std::size_t c = 0; c < X.cols(); ++c) X(r, c) = (X(r, c) - mean_(0, c)) * scale_(0, c);
    }

    void apply(Matrix<T>& X) const { apply(X.view()); }
    /// One sample, in place: as apply on a one-row X.
    void apply(std::span<T> sample) const { apply(MatrixView<T>(sample.data(), 1, sample.size())); }

    /// What apply undoes: Z(:, c) = Z(:, c) sd(c) + mean(c), in place. For targets standardised
    /// for training, the network's outputs in the targets' own units:
    ///     const auto ys = nn::Standardizer<float>::fit(train.Y);
    ///     ys.apply(train.Y);                  // train on Y of mean 0, deviation 1
    ///     nn::Matrix<float> y = net.forward(test.X);
    ///     ys.inverse(y);                      // y in the units of the file
    void inverse(MatrixView<T> Z) const {
        if (Z.cols() != mean_.cols())
            detail::fail("the Standardizer was fitted on %zu columns, Z has %zu", mean_.cols(), Z.cols());
        for (std::size_t r = 0; r < Z.rows(); ++r)
            for (std::size_t c = 0; c < Z.cols(); ++c) Z(r, c) = Z(r, c) / scale_(0, c) + mean_(0, c);
    }
    void inverse(Matrix<T>& Z) const { inverse(Z.view()); }
    void inverse(std::span<T> sample) const { inverse(MatrixView<T>(sample.data(), 1, sample.size())); }

    /// Each column's mean, 1 x columns.
    const Matrix<T>& mean() const { return mean_; }
    /// The factor apply multiplies each column by after taking its mean away: 1 / its standard
    /// deviation (1 for a constant column), 1 x columns. Not the deviation itself: that is
    /// 1 / scale()(0, c).
    const Matrix<T>& scale() const { return scale_; }

private:
    Standardizer() = default;
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
