// nn/data.hpp: reading training data (FANN's format, CSV) and standardising inputs.
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

/// What the target columns of a CSV file hold.
enum class CsvTargets {
    Classes, ///< one column of class labels, read as one-hot rows of Y (a classification)
    Values,  ///< one or more numeric columns, copied into Y as they are (a regression)
};

/// How read_csv reads a file.
struct CsvOptions {
    char delimiter = ',';
    /// Whether the first line names the columns (and is skipped). Unset: it does when none of its
    /// input fields is a number, it does not when all are, and a mix is an nn::Error; a header
    /// made only of numbers needs `.header = true`.
    std::optional<bool> header = std::nullopt;
    CsvTargets targets = CsvTargets::Classes;
    /// The (first) target column; negative counts from the end: -1 is the last.
    long label_column = -1;
    /// Values: how many target columns, from label_column on (Classes: always 1).
    std::size_t target_columns = 1;
    /// Classes: the classes, in Y's column order. Empty: those found, sorted (numerically when all
    /// are numbers), which must look like classes (see read_csv).
    std::vector<std::string> classes = {};
};

/// Reads a CSV file of numeric input columns and target columns. With the default
/// `.targets = nn::CsvTargets::Classes`, one label column becomes one-hot targets: Y(i, k) = 1 when
/// sample i is of class classes[k]. Labels are compared as trimmed text; pass the training set's
/// `classes` when reading a test set, so that the columns agree. A label column that looks
/// continuous (numbers that are not all whole, or more distinct labels than half the rows, past 20)
/// is refused with nn::Error naming `.targets = nn::CsvTargets::Values`, which reads numeric target
/// columns as they are, for a regression. Fields are not quoted. A malformed file, or a number too
/// large for T, throws nn::Error naming the file, line and column.
///     auto train = nn::read_csv<float>("iris.csv");
///     auto test = nn::read_csv<float>("iris-test.csv", {.classes = train.classes});
///     auto houses = nn::read_csv<float>("houses.csv", {.targets = nn::CsvTargets::Values});
template <Real T>
Dataset<T> read_csv(const std::string& path, const CsvOptions& options = {});

namespace detail {

// split_csv and find_classes are templates on T only so that a program that never reads a CSV
// file does not compile them.

/// Splits CSV text into rows of trimmed fields (blank lines skipped), remembering each row's line.
struct CsvRows {
    std::vector<std::vector<std::string_view>> rows;
    std::vector<std::size_t> lines;
};

inline std::string_view trim_field(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

template <Real T>
CsvRows split_csv(std::string_view text, const char* file, char delimiter) {
    CsvRows out;
    std::size_t line = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        ++line;
        const std::string_view row = text.substr(pos, end - pos);
        pos = end + 1;
        if (trim_field(row).empty()) continue;
        std::vector<std::string_view> fields;
        for (std::size_t start = 0;;) {
            const std::size_t comma = row.find(delimiter, start);
            fields.push_back(trim_field(row.substr(start, comma == std::string_view::npos ? comma : comma - start)));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        if (!out.rows.empty() && fields.size() != out.rows.front().size())
            fail("%s:%zu: %zu fields, the first row has %zu", file, line, fields.size(), out.rows.front().size());
        out.rows.push_back(std::move(fields));
        out.lines.push_back(line);
    }
    return out;
}

/// The classes found in a label column, sorted (numerically when all are numbers); nn::Error when
/// the column looks like a regression target rather than classes.
template <Real T>
std::vector<std::string> find_classes(const CsvRows& csv, std::size_t first_row, std::size_t label, const char* file) {
    std::vector<std::string_view> labels;
    for (std::size_t i = first_row; i < csv.rows.size(); ++i) labels.push_back(csv.rows[i][label]);
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    const std::size_t samples = csv.rows.size() - first_row;
    const char* advice = "read it as values with .targets = nn::CsvTargets::Values, or pass its .classes";
    std::vector<std::pair<double, std::string_view>> numbers;
    for (const std::string_view l : labels) {
        double v;
        if (!parse_number(l, v)) break;
        numbers.emplace_back(v, l);
    }
    if (numbers.size() == labels.size()) {
        for (const auto& [v, l] : numbers)
            if (v != std::floor(v))
                fail("%s: the label column (column %zu) holds '%s', a number that is not whole: it looks like a "
                     "regression target, not classes; %s",
                     file, label + 1, Quoted(l).text, advice);
        std::sort(numbers.begin(), numbers.end());
        for (std::size_t k = 0; k < numbers.size(); ++k) labels[k] = numbers[k].second;
    }
    if (labels.size() > 20 && labels.size() > samples / 2)
        fail("%s: the label column (column %zu) holds %zu distinct labels in %zu rows: it looks like a regression "
             "target or an identifier, not classes; %s",
             file, label + 1, labels.size(), samples, advice);
    return {labels.begin(), labels.end()};
}

/// read_csv on a file's bytes; `file` names it in errors.
template <Real T>
Dataset<T> parse_csv(std::string_view text, const char* file, const CsvOptions& options) {
    const CsvRows csv = split_csv<T>(text, file, options.delimiter);
    if (csv.rows.empty()) fail("%s: no data rows", file);
    const std::size_t width = csv.rows.front().size();
    const bool values = options.targets == CsvTargets::Values;
    if (!values && options.targets != CsvTargets::Classes)
        fail("%s: CsvOptions.targets is not an nn::CsvTargets (value %d)", file, int(options.targets));
    const std::size_t targets = values ? options.target_columns : 1;
    if (!values && options.target_columns != 1)
        fail("%s: CsvOptions.target_columns is %zu; class labels take one column (or use .targets = "
             "nn::CsvTargets::Values)",
             file, options.target_columns);
    if (targets == 0) fail("%s: CsvOptions.target_columns is 0; at least one target column is needed", file);
    if (width < targets + 1)
        fail("%s: a row needs at least one input column and %zu target column%s, it has %zu", file, targets,
             plural(targets), width);
    const long wanted = options.label_column < 0 ? long(width) + options.label_column : options.label_column;
    if (wanted < 0 || std::size_t(wanted) + targets > width)
        fail("%s: label_column %ld with %zu target column%s is out of range for %zu columns", file,
             options.label_column, targets, plural(targets), width);
    const std::size_t first_target = std::size_t(wanted);
    auto is_target = [&](std::size_t c) { return c >= first_target && c < first_target + targets; };

    // The header: given, or detected: a first row whose input fields are all names (none a
    // number); one that mixes names and numbers is asked about rather than guessed.
    bool header = false;
    if (options.header) {
        header = *options.header;
    } else {
        std::size_t numbers = 0;
        double v;
        for (std::size_t c = 0; c < width; ++c) numbers += !is_target(c) && parse_number(csv.rows.front()[c], v);
        header = numbers == 0;
        if (numbers != 0 && numbers != width - targets)
            fail("%s:%zu: the first row's input columns hold both numbers and text: if it is a header, pass "
                 ".header = true; if it is data, .header = false (and fix its fields)",
                 file, csv.lines.front());
    }
    const std::size_t first_row = header ? 1 : 0;
    if (csv.rows.size() == first_row) fail("%s: no data rows after the header", file);
    const std::size_t n = csv.rows.size() - first_row;

    std::vector<std::string> classes = options.classes;
    if (!values && classes.empty()) classes = find_classes<T>(csv, first_row, first_target, file);
    // Labels are looked up in a sorted index of the classes: n log k, not n k.
    std::vector<std::pair<std::string_view, std::size_t>> index;
    for (std::size_t k = 0; k < classes.size(); ++k) index.emplace_back(classes[k], k);
    std::sort(index.begin(), index.end());

    Dataset<T> data{Matrix<T>(n, width - targets), Matrix<T>(n, values ? targets : classes.size()),
                    values ? std::vector<std::string>() : classes};
    for (std::size_t i = 0; i < n; ++i) {
        const auto& row = csv.rows[first_row + i];
        const std::size_t line = csv.lines[first_row + i];
        for (std::size_t c = 0, x = 0; c < width; ++c) {
            const std::string_view field = row[c];
            if (is_target(c) && !values) {
                const auto k = std::lower_bound(index.begin(), index.end(), std::pair(field, std::size_t(0)));
                if (k == index.end() || k->first != field)
                    fail("%s:%zu: label '%s' is not one of the %zu classes given", file, line, Quoted(field).text,
                         classes.size());
                data.Y(i, k->second) = T(1);
                continue;
            }
            double value;
            if (!parse_number(field, value))
                fail("%s:%zu: column %zu, '%s', is not a finite number", file, line, c + 1, Quoted(field).text);
            if (!fits<T>(value))
                fail("%s:%zu: column %zu, '%s', is too large for %s", file, line, c + 1, Quoted(field).text,
                     sizeof(T) == 4 ? "float" : "double");
            if (is_target(c))
                data.Y(i, c - first_target) = static_cast<T>(value);
            else
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

    const Matrix<T>& mean() const { return mean_; }
    /// 1 / standard deviation of each column (1 for a constant column).
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
