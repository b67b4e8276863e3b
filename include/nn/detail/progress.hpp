// nn/detail/progress.hpp: what nn::train prints to stderr as it trains: a live bar on a terminal,
// one line per epoch, and notes (a checkpoint that could not be written). Every number through
// detail::format, so that no locale changes it.
#pragma once

#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define NN_DETAIL_HAVE_ISATTY 1
#endif

#include <nn/detail/format.hpp>
#include <nn/history.hpp>

namespace nn::detail {

inline double now_seconds() {
    std::timespec ts{};
    std::timespec_get(&ts, TIME_UTC);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

inline bool stderr_is_terminal() {
#ifdef NN_DETAIL_HAVE_ISATTY
    return isatty(fileno(stderr)) != 0;
#else
    return false;
#endif
}

/// "1:05" or "2:03:07".
inline std::string duration(double seconds) {
    const long s = long(seconds + 0.5);
    return s >= 3600 ? format("%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60) : format("%ld:%02ld", s / 60, s % 60);
}

/// The printing of one run: `bar` draws the live bar, `lines` writes a line per epoch, or, when
/// `sparse`, at most two a second: the first epoch's, then one when half a second has passed since
/// the last, and the last epoch's (finish), so that a long run logged to a file stays readable.
class ProgressPrinter {
public:
    ProgressPrinter(bool bar, bool lines, bool sparse, std::size_t epochs)
        : bar_(bar), lines_(lines), sparse_(sparse), epochs_(epochs) {}

    /// "epoch 2/3 [=====>   ] batch 25/40  cost 0.0245  left 0:01", at most ten times a second.
    void batch(std::size_t epoch, std::size_t b, std::size_t batches, double cost, double started) {
        if (!bar_) return;
        const double t = now_seconds(), elapsed = t - started;
        if (t - last_draw_ < 0.1 && b + 1 < batches) return;
        last_draw_ = t;
        const double done = double((epoch - 1) * batches + b + 1), total = double(epochs_ * batches);
        const int width = 24, filled = int(width * double(b + 1) / double(batches));
        std::string line = format("\repoch %zu/%zu [", epoch, epochs_);
        for (int k = 0; k < width; ++k) line += k < filled ? '=' : k == filled ? '>' : ' ';
        append(line, "] batch %zu/%zu  cost %.6g  left %s   ", b + 1, batches, cost,
               duration(elapsed * (total - done) / done).c_str());
        write(line);
    }

    /// "epoch 3/10  cost 0.0245  val_cost 0.031  val_accuracy 0.9800  0.12s".
    void epoch(const EpochStats& stats, bool validate, bool classify) {
        if (!lines_) return;
        std::string line =
            format("%sepoch %zu/%zu  cost %.6g", bar_ ? "\r" : "", stats.epoch, epochs_, stats.train_cost);
        if (validate) append(line, "  val_cost %.6g", stats.val_cost);
        if (classify) append(line, "  val_accuracy %.4f", stats.val_accuracy);
        append(line, "  %.2fs%s\n", stats.seconds, bar_ ? "                         " : "");
        const double t = now_seconds();
        if (sparse_ && last_line_ > 0 && t - last_line_ < 0.5) {
            held_ = std::move(line);
            return;
        }
        last_line_ = t;
        held_.clear();
        write(line);
    }

    /// The last epoch's line, when `sparse` held it back.
    void finish() {
        if (!held_.empty()) write(held_);
        held_.clear();
    }

    /// A line of its own, e.g. why a checkpoint was not written.
    void note(const std::string& text) {
        finish(); // the epoch before it
        if (lines_) write((bar_ ? "\r" : "") + text + "\n");
    }

private:
    static void write(const std::string& text) {
        std::fputs(text.c_str(), stderr);
        std::fflush(stderr);
    }

    bool bar_, lines_, sparse_;
    std::size_t epochs_;
    double last_draw_ = 0, last_line_ = 0;
    std::string held_; // an epoch's line not written yet (sparse)
};

} // namespace nn::detail
