// nn/detail/progress.hpp: what nn::train prints to stderr as it trains: a live bar on a terminal,
// one line per epoch, and notes (a checkpoint that could not be written), every number through
// detail::format, so that no locale changes it; and the clock that times its epochs.
#pragma once

#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define NN_DETAIL_HAVE_ISATTY 1
#endif

#include <nn/detail/format.hpp>
#include <nn/history.hpp>

namespace nn::detail {

/// Seconds from the first call in the process: small numbers, so that a double holds them to the
/// nanosecond (seconds since 1970 hold only a quarter of a microsecond, more than a tiny network's
/// epoch, which then lasted 0 or 0.24 us).
inline double now_seconds() {
    std::timespec ts{};
    std::timespec_get(&ts, TIME_UTC);
    static const std::time_t first = ts.tv_sec;
    return double(ts.tv_sec - first) + 1e-9 * double(ts.tv_nsec);
}

/// The clock of nn::train's epochs. When something looks at each epoch as it ends (printed
/// lines, on_epoch, checkpoints, a time budget: `every_epoch`), each epoch's end is read off the
/// clock. Otherwise only History sees the epochs' seconds, after the run, and short epochs are
/// timed together: a reading once `stride` epochs have ended, the stride doubled while two
/// readings are less than `window` apart (halved when more than four), each epoch of a stride
/// given their mean. A clock reading costs 20-45 ns on a virtual machine, a tenth or more of a
/// tiny network's epoch.
class EpochClock {
public:
    static constexpr double window = 1e-5; // seconds: the clock at most about 0.5% of the time

    explicit EpochClock(bool every_epoch) : every_epoch_(every_epoch), last_(now_seconds()) {}

    /// At the end of each epoch, after its EpochStats was appended to `epochs`: the time now, or,
    /// between readings, the last reading's (at most a few windows old).
    double end_epoch(std::vector<EpochStats>& epochs) { return ++pending_ < stride_ ? last_ : read(epochs); }

    /// Reads the clock and gives each epoch since the last reading (the last of `epochs`) its
    /// share; nn::train calls it once more when the run ends. The time now.
    double read(std::vector<EpochStats>& epochs) {
        if (pending_ == 0) return last_;
        const double now = now_seconds(), elapsed = now - last_;
        for (std::size_t i = epochs.size() - pending_; i < epochs.size(); ++i)
            epochs[i].seconds = elapsed / double(pending_);
        if (!every_epoch_) {
            if (elapsed < window)
                stride_ *= 2;
            else if (elapsed > 4 * window && stride_ > 1)
                stride_ /= 2;
        }
        last_ = now;
        pending_ = 0;
        return now;
    }

private:
    bool every_epoch_;
    double last_;
    std::size_t stride_ = 1, pending_ = 0; // pending_: epochs ended since the last reading
};

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

    /// True when a line is printed (or held) for every epoch.
    bool prints_epochs() const { return lines_; }

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
