// nn/csv.hpp: reading training data from CSV files (RFC 4180), streamed: a file is read a block at
// a time, twice (its shape and labels, then its numbers straight into the matrices), so that the
// memory it takes is the matrices it returns and little more, whatever the file's size.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nn/config.hpp>
#include <nn/data.hpp>
#include <nn/matrix.hpp>

namespace nn {

/// What the target columns of a CSV file hold.
enum class CsvTargets {
    Classes, ///< one column of class labels, read as one-hot rows of Y (a classification)
    Values,  ///< one or more numeric columns, copied into Y as they are (a regression)
    None,    ///< no targets: every column into X, Y without columns (features, or targets kept apart)
};

/// How read_csv reads a file.
struct CsvOptions {
    /// The character between fields: ',', ';', '\t', or ' ' for runs of spaces and tabs (a
    /// whitespace-separated file). 0: detected (see read_csv).
    char delimiter = 0;
    /// Lines passed over at the top, before the header or the data (a line of counts, a title).
    std::size_t skip_rows = 0;
    /// Whether the first line names the columns (and is skipped). Unset: it does when none of its
    /// input fields is a number, it does not when all are, and a mix is an nn::Error; a header
    /// made only of numbers needs `.header = true`.
    std::optional<bool> header = std::nullopt;
    /// What the target columns hold. Unset: classes when the label column says so unambiguously
    /// (see read_csv), else nn::Error.
    std::optional<CsvTargets> targets = std::nullopt;
    /// The (first) target column; negative counts from the end: -1 is the last.
    long label_column = -1;
    /// Values: how many target columns, from label_column on (Classes: always 1).
    std::size_t target_columns = 1;
    /// Classes: the classes, in Y's column order (which says the column holds classes). Empty:
    /// those found, sorted (numerically when all are numbers).
    std::vector<std::string> classes = {};
};

/// Reads a CSV file of numeric input columns and target columns into X and Y.
///
/// The target column (the last, unless `.label_column` says otherwise) is read as class labels,
/// one-hot rows of Y (Y(i, k) = 1 when sample i is of class classes[k]), when `.targets =
/// nn::CsvTargets::Classes` or `.classes` says so, or when the column leaves no doubt: labels that
/// are not all numbers (unless more than 20 distinct, and more than half the rows: an identifier),
/// or at most 20 distinct whole numbers, each on at least two rows (0/1, digits, class codes). Any
/// other column (fractions, or many whole numbers, as a price or an age) is an nn::Error naming
/// both `.targets = nn::CsvTargets::Values` (numeric target columns as they are, for a
/// regression) and `.targets = nn::CsvTargets::Classes`. Labels are compared as trimmed text;
/// pass the training set's `classes` when reading a test set, so that the columns agree.
///
/// The delimiter, unless given, is the one of ',' ';' '\t' found on every one of the first 50
/// lines (after `.skip_rows`); when several are, the one found as often on every line; when none
/// is, runs of blanks if every line has two fields or more so separated, else the file has one
/// column. Anything else (',' and ';' on every line, equally often) is an nn::Error naming
/// `.delimiter`.
///
/// The format is RFC 4180's: a field in double quotes may hold the delimiter, line breaks and
/// doubled quotes ("New York, NY"); lines end in \n, \r\n or \r alone; spaces around a field are
/// trimmed; blank lines are skipped; a UTF-8 byte order mark is skipped. Columns empty on every
/// row at the end of the rows (a delimiter that ends every line) are left out, so the label stays
/// the last column. A malformed file, text where a number belongs, or a number too large for T
/// throws nn::Error naming the file, line and column. The file is read twice, a block at a time:
/// the memory it takes is about the matrices it returns.
///     auto train = nn::read_csv<float>("iris.csv");
///     auto test = nn::read_csv<float>("iris-test.csv", {.classes = train.classes});
///     auto houses = nn::read_csv<float>("houses.csv", {.targets = nn::CsvTargets::Values});
///     auto sklearn = nn::read_csv<float>("wine_data.csv", {.skip_rows = 1}); // a line of counts first
template <Real T>
Dataset<T> read_csv(const std::string& path, const CsvOptions& options = {});

namespace detail {
/// read_csv on a file's bytes in memory; `file` names it in errors.
template <Real T>
Dataset<T> parse_csv(std::string_view text, const char* file, const CsvOptions& options);
} // namespace detail

} // namespace nn

#if NN_DETAIL_DEFINITIONS // the reader (compiled once in the compiled mode: see config.hpp)
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include <nn/error.hpp>

namespace nn {
namespace detail {

/// Where CSV text comes from: a file, read a block at a time, or bytes in memory; either can
/// start over, for the second pass.
class CsvSource {
public:
    explicit CsvSource(std::string_view bytes) : bytes_(bytes) {}
    explicit CsvSource(const std::string& path) : file_(std::fopen(path.c_str(), "rb")), path_(path) {
        if (!file_) fail("cannot open '%s': %s", path.c_str(), std::strerror(errno));
        buffer_.resize(1 << 20);
    }
    CsvSource(const CsvSource&) = delete;
    CsvSource& operator=(const CsvSource&) = delete;
    ~CsvSource() {
        if (file_) std::fclose(file_);
    }

    /// The next block of text; empty at the end.
    std::string_view next() {
        if (!file_) return std::exchange(bytes_left_, std::string_view());
        const std::size_t got = std::fread(buffer_.data(), 1, buffer_.size(), file_);
        if (got == 0 && std::ferror(file_)) fail("cannot read '%s': %s", path_.c_str(), std::strerror(errno));
        return {buffer_.data(), got};
    }
    /// Whether the last block was the end of the text.
    bool exhausted() const { return file_ ? std::feof(file_) != 0 : bytes_left_.empty(); }
    void rewind() {
        if (file_)
            std::rewind(file_);
        else
            bytes_left_ = bytes_;
    }

private:
    std::string_view bytes_, bytes_left_ = bytes_;
    std::FILE* file_ = nullptr;
    std::string path_;
    std::string buffer_;
};

/// The records of CSV text (RFC 4180, as read_csv describes), one at a time: fields() views the
/// last record read until the next. A delimiter ' ' stands for runs of spaces and tabs.
class CsvRecords {
public:
    /// The records after the first `skip` (nn::Error when there are not that many).
    CsvRecords(CsvSource& source, char delimiter, std::size_t skip, const char* file)
        : source_(source), delimiter_(delimiter), file_(file) {
        source_.rewind();
        for (std::size_t k = 0; k < skip; ++k)
            if (!next()) fail("%s: .skip_rows is %zu, the file has %zu rows", file, skip, k);
    }

    /// Reads the next record that is not blank; false at the end.
    bool next() {
        for (;;) {
            if (!read_record()) return false;
            if (fields_.size() > 1 || !fields_[0].empty() || quoted_) return true; // else a blank line
        }
    }
    const std::vector<std::string_view>& fields() const { return fields_; }
    /// The line the record starts on, from 1.
    std::size_t line() const { return record_line_; }

private:
    enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted, AfterQuoted };

    bool runs() const { return delimiter_ == ' '; }
    bool separator(char c) const { return runs() ? c == ' ' || c == '\t' : c == delimiter_; }
    bool blank(char c) const { return (c == ' ' || c == '\t') && !separator(c); }
    /// With runs of blanks as the delimiter, blanks that end a line after its last field, which
    /// end no field of their own.
    bool trailing_blanks(State state) const { return runs() && state == State::FieldStart && !ends_.empty(); }

    /// The next char, or false at the end of the text.
    bool get(char& c) {
        if (pos_ == block_.size()) {
            block_ = source_.next();
            pos_ = 0;
            if (block_.empty()) return false;
            if (first_block_) { // a UTF-8 byte order mark, before anything
                first_block_ = false;
                if (block_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
                if (pos_ == block_.size()) return get(c);
            }
        }
        c = block_[pos_++];
        return true;
    }

    /// Ends a field that starts at `start` in record_; an unquoted one loses its trailing blanks.
    void end_field(std::size_t start, bool was_quoted) {
        if (!was_quoted)
            while (record_.size() > start && blank(record_.back())) record_.pop_back();
        ends_.push_back(record_.size());
    }

    bool read_record() {
        record_.clear();
        ends_.clear();
        quoted_ = false;
        State state = State::FieldStart;
        std::size_t start = 0, quote_line = 0;
        char c;
        // A \r ends a line, and a \n right after it belongs to that line end.
        const auto line_end = [&](char ch) {
            if (ch == '\r') {
                skip_lf_ = true;
                return true;
            }
            return ch == '\n';
        };
        bool any = false; // anything read for this record (else: the end of the text)
        for (;;) {
            if (!get(c)) {
                if (state == State::Quoted)
                    fail("%s:%zu: the quoted field that opens on line %zu is not closed", file_, line_, quote_line);
                if (!any) return false;
                if (!trailing_blanks(state)) end_field(start, state != State::FieldStart && state != State::Unquoted);
                break;
            }
            if (skip_lf_) {
                skip_lf_ = false;
                if (c == '\n') continue;
            }
            if (!any) record_line_ = line_;
            any = true;
            if (state == State::Quoted) {
                if (c == '"') {
                    state = State::QuoteInQuoted;
                } else { // kept as it is; \n, \r\n and \r count one line each
                    if (c == '\r' || (c == '\n' && !cr_in_quotes_)) ++line_;
                    cr_in_quotes_ = c == '\r';
                    record_ += c;
                }
                continue;
            }
            if (state == State::QuoteInQuoted && c == '"') { // "" inside quotes: one quote
                record_ += '"';
                state = State::Quoted;
                continue;
            }
            if (runs() && state == State::FieldStart && separator(c)) continue; // blanks before a field
            if (separator(c) || line_end(c)) {
                if (!trailing_blanks(state))
                    end_field(start, state == State::QuoteInQuoted || state == State::AfterQuoted);
                if (!separator(c)) {
                    ++line_;
                    break;
                }
                start = record_.size();
                state = State::FieldStart;
                continue;
            }
            switch (state) {
            case State::FieldStart:
                if (blank(c)) break;
                if (c == '"') {
                    state = State::Quoted;
                    quoted_ = true;
                    quote_line = line_;
                } else {
                    record_ += c;
                    state = State::Unquoted;
                }
                break;
            case State::Unquoted: record_ += c; break;
            case State::QuoteInQuoted:
            case State::AfterQuoted:
                if (!blank(c))
                    fail("%s:%zu: column %zu: '%c' after the closing quote of a quoted field (a quote inside quotes "
                         "is written \"\")",
                         file_, line_, ends_.size() + 1, c);
                state = State::AfterQuoted;
                break;
            case State::Quoted: break;
            }
        }
        fields_.clear();
        for (std::size_t k = 0, begin = 0; k < ends_.size(); begin = ends_[k++])
            fields_.emplace_back(record_.data() + begin, ends_[k] - begin);
        return true;
    }

    CsvSource& source_;
    char delimiter_;
    const char* file_;
    std::string_view block_;
    std::size_t pos_ = 0, line_ = 1, record_line_ = 1;
    bool first_block_ = true, skip_lf_ = false, cr_in_quotes_ = false, quoted_ = false;
    std::string record_;            // the record's fields, unquoted, one after another
    std::vector<std::size_t> ends_; // where each field ends in record_
    std::vector<std::string_view> fields_;
};

/// The delimiter of CSV text, from its first block (`whole`: the text ends there), as read_csv
/// describes: the lines after `skip` are looked at, 50 at most, counting ',', ';' and '\t' and
/// runs of blanks outside quotes.
inline char detect_delimiter(std::string_view text, bool whole, std::size_t skip, const char* file) {
    constexpr std::string_view candidates = ",;\t";
    struct Line {
        std::size_t count[3] = {}, blank_fields = 0;
    };
    std::vector<Line> lines;
    Line line;
    bool quoted = false, in_field = false, filled = false;
    std::size_t skipped = 0;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    for (std::size_t i = 0; i <= text.size() && lines.size() < 50; ++i) {
        const char c = i < text.size() ? text[i] : '\n';
        if (i == text.size() && !whole) break; // a line the block may cut
        if (c == '"' && !quoted && !in_field) ++line.blank_fields; // a quoted field starts
        if (c == '"') quoted = !quoted;
        if (quoted) {
            filled = in_field = true;
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (filled && skipped++ >= skip) lines.push_back(line);
            line = {}, in_field = filled = false;
            continue;
        }
        if (const std::size_t k = candidates.find(c); k != std::string_view::npos) ++line.count[k];
        const bool blank = c == ' ' || c == '\t';
        if (!blank && !in_field) ++line.blank_fields;
        in_field = !blank;
        filled = filled || !blank;
    }
    if (lines.empty()) return ',';
    std::vector<char> everywhere, steady;
    for (std::size_t k = 0; k < candidates.size(); ++k) {
        bool all = true, same = true;
        for (const Line& l : lines) all = all && l.count[k] > 0, same = same && l.count[k] == lines[0].count[k];
        if (all) everywhere.push_back(candidates[k]);
        if (all && same) steady.push_back(candidates[k]);
    }
    if (everywhere.size() == 1) return everywhere[0];
    if (everywhere.size() > 1 && steady.size() == 1) return steady[0];
    if (everywhere.size() > 1)
        fail("%s: cannot tell the delimiter: '%c' and '%c' are both on every line%s; pass it: .delimiter = '%c' "
             "(or '%c')",
             file, everywhere[0], everywhere[1], steady.size() > 1 ? ", as often" : ", neither as often",
             everywhere[0], everywhere[1]);
    bool runs = true, single = true;
    for (const Line& l : lines) runs = runs && l.blank_fields >= 2, single = single && l.blank_fields <= 1;
    if (runs) return ' ';
    if (single) return ','; // one column
    fail("%s: cannot tell the delimiter: no ',', ';' or tab on every line, and not every line splits at blanks "
         "(runs of spaces); pass it: .delimiter = ','",
         file);
}

/// Distinct labels, kept sorted, with how many rows hold each; at most `cap` of them (false once
/// there would be more).
struct LabelSet {
    std::vector<std::string> labels;
    std::vector<std::size_t> rows;
    bool add(std::string_view label, std::size_t cap) {
        const auto it = std::lower_bound(labels.begin(), labels.end(), label);
        const auto k = std::size_t(it - labels.begin());
        if (it != labels.end() && *it == label) return ++rows[k], true;
        if (labels.size() == cap) return false;
        labels.insert(it, std::string(label));
        rows.insert(rows.begin() + std::ptrdiff_t(k), 1);
        return true;
    }
};

/// The classes of a label column, sorted (numerically when all are numbers). Unless `said` (the
/// caller asked for classes), nn::Error when the column does not look like classes beyond doubt,
/// by read_csv's rule. `overflow`: more distinct labels than were kept.
inline std::vector<std::string> classes_of(LabelSet set, bool overflow, bool said, std::size_t samples,
                                           std::size_t column, const char* file) {
    constexpr std::size_t few = 20;
    const char* advice = "for a regression, read it as values with .targets = nn::CsvTargets::Values; for classes, "
                         "say so with .targets = nn::CsvTargets::Classes (or pass the .classes)";
    std::vector<std::string>& labels = set.labels;
    std::vector<std::pair<double, std::size_t>> numbers;
    for (std::size_t k = 0; k < labels.size(); ++k) {
        double v;
        if (!parse_number(labels[k], v)) break;
        numbers.emplace_back(v, k);
    }
    const bool numeric = !labels.empty() && numbers.size() == labels.size();
    if (overflow && !said)
        fail("%s: the label column (column %zu) holds more than %zu distinct labels in %zu rows: it looks like a "
             "regression target or an identifier, not classes; %s",
             file, column + 1, labels.size(), samples, advice);
    if (overflow)
        fail("%s: the label column (column %zu) holds more than %zu distinct labels; pass the .classes", file,
             column + 1, labels.size());
    if (numeric && !said) {
        for (const auto& [v, k] : numbers)
            if (v != std::floor(v))
                fail("%s: the label column (column %zu) holds '%s', a number that is not whole: it looks like a "
                     "regression target, not classes; %s",
                     file, column + 1, Quoted(labels[k]).text, advice);
        if (labels.size() > few)
            fail("%s: the label column (column %zu) holds %zu distinct whole numbers in %zu rows, more than the %zu "
                 "that are read as classes unasked; %s",
                 file, column + 1, labels.size(), samples, few, advice);
        for (std::size_t k = 0; k < labels.size(); ++k)
            if (set.rows[k] < 2)
                fail("%s: the label column (column %zu) holds %zu distinct whole number%s, and '%s' on one row "
                     "only: it may be a regression target rather than classes; %s",
                     file, column + 1, labels.size(), plural(labels.size()), Quoted(labels[k]).text, advice);
    }
    if (!numeric && !said && labels.size() > few && labels.size() > samples / 2)
        fail("%s: the label column (column %zu) holds %zu distinct labels in %zu rows: it looks like an identifier, "
             "not classes; %s",
             file, column + 1, labels.size(), samples, advice);
    if (numeric) {
        std::sort(numbers.begin(), numbers.end());
        std::vector<std::string> sorted;
        for (const auto& [v, k] : numbers) sorted.push_back(std::move(labels[k]));
        labels = std::move(sorted);
    }
    return std::move(labels);
}

/// read_csv on a source; `file` names it in errors.
template <Real T>
Dataset<T> read_csv_source(CsvSource& source, const char* file, const CsvOptions& options) {
    const CsvTargets kind = options.targets.value_or(CsvTargets::Classes);
    if (kind != CsvTargets::Classes && kind != CsvTargets::Values && kind != CsvTargets::None)
        fail("%s: CsvOptions.targets is not an nn::CsvTargets (value %d)", file, int(kind));
    const bool values = kind == CsvTargets::Values, none = kind == CsvTargets::None;
    const bool said = options.targets == CsvTargets::Classes || !options.classes.empty(); // classes, asked for
    if (!options.classes.empty() && kind != CsvTargets::Classes)
        fail("%s: CsvOptions.classes are given, but .targets is not nn::CsvTargets::Classes", file);
    const std::size_t targets = none ? 0 : values ? options.target_columns : 1;
    if (kind == CsvTargets::Classes && options.target_columns != 1)
        fail("%s: CsvOptions.target_columns is %zu; class labels take one column (or use .targets = "
             "nn::CsvTargets::Values)",
             file, options.target_columns);
    if (values && targets == 0)
        fail("%s: CsvOptions.target_columns is 0; at least one target column is needed (or .targets = "
             "nn::CsvTargets::None)",
             file);
    const char* delimiter_is = "";
    char delimiter = options.delimiter;
    if (delimiter == 0) {
        source.rewind();
        const std::string_view block = source.next();
        delimiter = detect_delimiter(block, source.exhausted(), options.skip_rows, file);
        delimiter_is = delimiter == ',' ? " (delimiter ',' detected; another: .delimiter)"
                       : delimiter == ';' ? " (delimiter ';' detected; another: .delimiter)"
                       : delimiter == ' ' ? " (delimiter: blanks, detected; another: .delimiter)"
                                          : " (delimiter: tab, detected; another: .delimiter)";
    } else if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
        fail("%s: CsvOptions.delimiter cannot be a quote or a line end", file);
    }
    // Where the target columns are among `width` columns, or -1 when that is out of range.
    const auto first_target_of = [&](std::size_t width) {
        if (none) return long(width);
        const long wanted = options.label_column < 0 ? long(width) + options.label_column : options.label_column;
        return wanted < 0 || std::size_t(wanted) + targets > width ? -1L : wanted;
    };

    // Pass 1: the shape. Every record's fields, the columns that are ever filled after the first
    // row, the first row itself, and the distinct labels of the label column the width points at.
    CsvRecords records(source, delimiter, options.skip_rows, file);
    if (!records.next()) fail("%s: no data rows%s", file, options.skip_rows ? " after the rows skipped" : "");
    const std::vector<std::string> first(records.fields().begin(), records.fields().end());
    const std::size_t first_line = records.line();
    const std::size_t width = first.size();
    std::vector<bool> filled(width, false);
    const bool find_labels = kind == CsvTargets::Classes && options.classes.empty();
    constexpr std::size_t label_cap = 1 << 16;
    LabelSet labels;
    bool overflow = false;
    std::size_t rows = 1;
    const long guess = first_target_of(width);
    while (records.next()) {
        const auto& f = records.fields();
        if (f.size() != width)
            fail("%s:%zu: %zu fields, the first row has %zu%s%s", file, records.line(), f.size(), width,
                 rows == 1 ? " (a first line that is neither header nor data is passed over with .skip_rows = 1)" : "",
                 delimiter_is);
        for (std::size_t c = 0; c < width; ++c)
            if (!f[c].empty()) filled[c] = true;
        if (find_labels && guess >= 0 && !overflow) overflow = !labels.add(f[std::size_t(guess)], label_cap);
        ++rows;
    }
    // Columns empty on every row at the end (a delimiter that ends every line) are left out.
    std::size_t kept = width;
    while (kept > 1 && !filled[kept - 1] && first[kept - 1].empty()) --kept;
    if (kept < targets + 1)
        fail("%s: a row needs at least one input column and %zu target column%s, it has %zu%s%s", file, targets,
             plural(targets), kept, kept == 1 ? " (a file of one column is read with .targets = nn::CsvTargets::None)" : "",
             delimiter_is);
    const long first_target_at = first_target_of(kept);
    if (first_target_at < 0)
        fail("%s: label_column %ld with %zu target column%s is out of range for %zu columns", file,
             options.label_column, targets, plural(targets), kept);
    const std::size_t first_target = std::size_t(first_target_at);
    auto is_target = [&](std::size_t c) { return c >= first_target && c < first_target + targets; };

    // The header: given, or detected: a first row whose input fields are all names (none a
    // number); one that mixes names and numbers is asked about rather than guessed.
    bool header = false;
    if (options.header) {
        header = *options.header;
    } else {
        std::size_t numbers = 0;
        double v;
        for (std::size_t c = 0; c < kept; ++c) numbers += !is_target(c) && parse_number(first[c], v);
        header = numbers == 0;
        if (numbers != 0 && numbers != kept - targets)
            fail("%s:%zu: the first row's input columns hold both numbers and text: if it is a header, pass "
                 ".header = true; if it is data, .header = false (and fix its fields); if it is neither, pass over "
                 "it with .skip_rows = %zu",
                 file, first_line, options.skip_rows + 1);
    }
    if (rows == std::size_t(header)) fail("%s: no data rows after the header", file);
    const std::size_t n = rows - std::size_t(header);

    std::vector<std::string> classes = options.classes;
    if (find_labels) {
        if (std::size_t(first_target_at) != std::size_t(guess)) { // the label moved: read its column again
            labels = {}, overflow = false;
            CsvRecords again(source, delimiter, options.skip_rows, file);
            again.next();
            while (again.next() && !overflow) overflow = !labels.add(again.fields()[first_target], label_cap);
        }
        if (!header && !overflow) overflow = !labels.add(first[first_target], label_cap);
        classes = classes_of(std::move(labels), overflow, said, n, first_target, file);
    }
    // Labels are looked up in a sorted index of the classes: n log k, not n k.
    std::vector<std::pair<std::string_view, std::size_t>> index;
    for (std::size_t k = 0; k < classes.size(); ++k) index.emplace_back(classes[k], k);
    std::sort(index.begin(), index.end());

    // Pass 2: the numbers, straight into the matrices.
    Dataset<T> data{Matrix<T>(n, kept - targets), Matrix<T>(n, values || none ? targets : classes.size()),
                    values || none ? std::vector<std::string>() : classes};
    CsvRecords fill(source, delimiter, options.skip_rows, file);
    if (header) fill.next();
    for (std::size_t i = 0; i < n; ++i) {
        fill.next();
        const auto& row = fill.fields();
        for (std::size_t c = 0, x = 0; c < kept; ++c) {
            const std::string_view field = row[c];
            if (is_target(c) && kind == CsvTargets::Classes) {
                const auto k = std::lower_bound(index.begin(), index.end(), std::pair(field, std::size_t(0)));
                if (k == index.end() || k->first != field)
                    fail("%s:%zu: label '%s' is not one of the %zu classes given", file, fill.line(),
                         Quoted(field).text, classes.size());
                data.Y(i, k->second) = T(1);
                continue;
            }
            double value;
            if (!parse_number(field, value)) {
                const std::string name =
                    header && !first[c].empty() ? " (" + std::string(Quoted(first[c]).text) + ")" : "";
                fail("%s:%zu: column %zu%s, '%s', is not a finite number", file, fill.line(), c + 1, name.c_str(),
                     Quoted(field).text);
            }
            if (!fits<T>(value))
                fail("%s:%zu: column %zu, '%s', is too large for %s", file, fill.line(), c + 1, Quoted(field).text,
                     sizeof(T) == 4 ? "float" : "double");
            if (is_target(c))
                data.Y(i, c - first_target) = static_cast<T>(value);
            else
                data.X(i, x++) = static_cast<T>(value);
        }
    }
    return data;
}

template <Real T>
Dataset<T> parse_csv(std::string_view text, const char* file, const CsvOptions& options) {
    CsvSource source(text);
    return read_csv_source<T>(source, file, options);
}

} // namespace detail

template <Real T>
Dataset<T> read_csv(const std::string& path, const CsvOptions& options) {
    detail::CsvSource source(path);
    return detail::read_csv_source<T>(source, path.c_str(), options);
}

} // namespace nn
#endif // NN_DETAIL_DEFINITIONS

NN_DETAIL_OUT_OF_LINE(nn::Dataset<float> nn::read_csv<float>(const std::string&, const nn::CsvOptions&));
NN_DETAIL_OUT_OF_LINE(nn::Dataset<double> nn::read_csv<double>(const std::string&, const nn::CsvOptions&));
NN_DETAIL_OUT_OF_LINE(nn::Dataset<float> nn::detail::parse_csv<float>(std::string_view, const char*, const nn::CsvOptions&));
NN_DETAIL_OUT_OF_LINE(nn::Dataset<double> nn::detail::parse_csv<double>(std::string_view, const char*, const nn::CsvOptions&));
