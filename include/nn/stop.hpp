// nn/stop.hpp: stopping nn::train from outside, without losing anything: a flag another thread or
// a signal handler sets (StopFlag), and Ctrl-C turned into that flag (StopOnSignals).
#pragma once

#include <atomic>
#include <csignal>
#include <initializer_list>

#include <nn/error.hpp>

namespace nn {

/// A request to stop training, safe to set from another thread or from a signal handler. nn::train
/// looks at it (TrainOptions.stop) between batches: once it is set, training stops before the next
/// step, writes a last checkpoint, and returns normally with the best (or last) parameters and
/// History.interrupted set. Resuming from that checkpoint goes on from that batch.
///     nn::StopFlag stop;
///     std::thread watcher([&] { wait_for_a_reason(); stop.request(); });
///     auto history = nn::train(net, X, Y, adam, {.epochs = 100, .stop = &stop});
class StopFlag {
public:
    void request() noexcept { requested_.store(true, std::memory_order_relaxed); }
    bool requested() const noexcept { return requested_.load(std::memory_order_relaxed); }
    void reset() noexcept { requested_.store(false, std::memory_order_relaxed); }

private:
    static_assert(std::atomic<bool>::is_always_lock_free, "a signal handler may only touch lock-free atomics");
    std::atomic<bool> requested_{false};
};

/// While it lives, SIGINT (Ctrl-C) and SIGTERM request `flag` instead of ending the program; a
/// second such signal ends it as before (the handler the program had is put back at the first).
/// The handlers it replaced come back when it is destroyed. One at a time: a second one while the
/// first lives is an nn::Error.
///     nn::StopFlag stop;
///     nn::StopOnSignals ctrl_c(stop);
///     auto history = nn::train(net, X, Y, adam, {.epochs = 1000, .checkpoint = "run.ckpt", .stop = &stop});
///     if (history.interrupted) std::puts("stopped; run again with .resume = true to go on");
class StopOnSignals {
public:
    explicit StopOnSignals(StopFlag& flag, std::initializer_list<int> signals = {SIGINT, SIGTERM}) {
        StopFlag* none = nullptr;
        if (!target().compare_exchange_strong(none, &flag))
            detail::fail("an nn::StopOnSignals is already installed; one at a time");
        for (const int s : signals) {
            if (s <= 0 || s >= max_signal) detail::fail("StopOnSignals was given signal %d, which it cannot handle", s);
            previous()[s] = std::signal(s, handle);
            installed_[count_++] = s;
        }
    }
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;
    ~StopOnSignals() {
        for (int k = 0; k < count_; ++k) std::signal(installed_[k], previous()[installed_[k]]);
        target().store(nullptr);
    }

private:
    static constexpr int max_signal = 65;
    using Handler = void (*)(int);
    static std::atomic<StopFlag*>& target() {
        static std::atomic<StopFlag*> flag{nullptr};
        return flag;
    }
    static Handler* previous() {
        static Handler handlers[max_signal] = {};
        return handlers;
    }
    static void handle(int s) {
        if (StopFlag* flag = target().load()) flag->request();
        std::signal(s, previous()[s] == SIG_ERR ? SIG_DFL : previous()[s]); // the next one, as before
    }

    int installed_[max_signal] = {};
    int count_ = 0;
};

} // namespace nn
