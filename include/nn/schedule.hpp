// nn/schedule.hpp: Schedule, the learning rate over a run of nn::train.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <nn/error.hpp>

namespace nn {

/// A learning-rate schedule for nn::train: the optimizer's rate during a batch is the rate it had
/// when nn::train began times factor(t), where t is the number of epochs done so far, counting the
/// batches of the current epoch as fractions (t = e + b / batches in batch b of epoch e + 1,
/// both from 0):
///   - a linear warm-up first: factor t / warmup while t < warmup;
///   - then, with u = t - warmup the epochs since the warm-up ended,
///     constant: 1;  step: gamma^floor(u / every);  exponential: gamma^floor(u);
///     cosine: floor + (1 - floor) (1 + cos(pi min(u, period) / period)) / 2, period 0 meaning
///     every epoch left after the warm-up.
/// Step and exponential change the rate between epochs, as torch.optim.lr_scheduler's StepLR and
/// ExponentialLR; warm-up and cosine change it between batches. The optimizer needs rate() and
/// set_rate() (nn::SGD, nn::Adam):
///     nn::train(net, X, Y, sgd, {.epochs = 100, .schedule = nn::Schedule::cosine().warm_up(5)});
struct Schedule {
    enum class Kind { Constant, Step, Exponential, Cosine };
    Kind kind = Kind::Constant;
    double gamma = 1;       ///< step, exponential: the factor per `every` epochs, per epoch
    std::size_t every = 1;  ///< step: epochs between two decays
    std::size_t period = 0; ///< cosine: epochs from the full rate to `floor`; 0: all that are left
    double floor = 0;       ///< cosine: the last factor
    double warmup = 0;      ///< epochs of linear warm-up from 0, before the schedule proper

    static Schedule constant() { return {}; }
    static Schedule step(std::size_t every, double gamma) {
        return {.kind = Kind::Step, .gamma = gamma, .every = every};
    }
    static Schedule exponential(double gamma) { return {.kind = Kind::Exponential, .gamma = gamma}; }
    static Schedule cosine(std::size_t period = 0, double floor = 0) {
        return {.kind = Kind::Cosine, .period = period, .floor = floor};
    }
    /// This schedule after `epochs` epochs (fractions allowed) of linear warm-up.
    Schedule warm_up(double epochs) const {
        Schedule s = *this;
        s.warmup = epochs;
        return s;
    }

    /// Throws nn::Error unless the numbers make a schedule.
    void check() const {
        if (!(gamma > 0) || !std::isfinite(gamma))
            detail::fail("Schedule needs a finite gamma > 0, was given %.9g", gamma);
        if (kind == Kind::Step && every == 0) detail::fail("Schedule::step needs every >= 1 epoch, was given 0");
        if (!(floor >= 0 && floor <= 1)) detail::fail("Schedule::cosine needs 0 <= floor <= 1, was given %.9g", floor);
        if (!(warmup >= 0) || !std::isfinite(warmup))
            detail::fail("Schedule needs a finite warm-up >= 0 epochs, was given %.9g", warmup);
    }
    bool is_constant() const { return kind == Kind::Constant && warmup == 0; }

    /// The factor after t epochs of a run of `epochs`.
    double factor(double t, std::size_t epochs) const {
        if (t < warmup) return t / warmup;
        const double u = t - warmup;
        switch (kind) {
        case Kind::Constant: break;
        case Kind::Step: return std::pow(gamma, std::floor(u / double(every)));
        case Kind::Exponential: return std::pow(gamma, std::floor(u));
        case Kind::Cosine: {
            const double left = double(epochs) - warmup, p = period > 0 ? double(period) : left;
            if (!(p > 0)) return floor;
            const double pi = 3.14159265358979323846;
            return floor + (1 - floor) * (1 + std::cos(pi * std::min(u, p) / p)) / 2;
        }
        }
        return 1;
    }
};

} // namespace nn
