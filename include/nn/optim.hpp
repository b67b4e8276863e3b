// nn/optim.hpp: the optimizers that turn a batch's gradient into a step of every parameter, one
// loop over the flat parameters each: SGD (with momentum, Nesterov, weight decay), Adam (AdamW)
// and iRPROP-. The full-batch methods are in lbfgs.hpp and levenberg_marquardt.hpp; what nn::train
// asks of any optimizer is in optimizer.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include <nn/detail/kernels.hpp>
#include <nn/gradient.hpp>
#include <nn/network.hpp>
#include <nn/optimizer.hpp>

namespace nn {

namespace detail {
/// Throws "<who> needs a finite <what> >= 0, was given <value>" unless value is finite and >= 0.
template <Real T>
void check_finite_nonnegative(T value, const char* who, const char* what) {
    if (!(value >= T(0)) || !std::isfinite(value))
        fail("%s needs a finite %s >= 0, was given %.9g", who, what, double(value));
}

} // namespace detail

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, as
/// torch.optim.SGD: g += weight_decay p; v = momentum v + g; p -= rate (nesterov ? g + momentum v : v).
/// With the defaults it is net.learn(g, rate).
///     nn::SGD<float> sgd(0.1f, 0.9f);
///     net.backprop(X, Y, g);
///     sgd.step(net, g);
/// An optimizer keeps state shaped like one network's parameters: use one per network.
template <Real T>
class SGD {
public:
    explicit SGD(T rate, T momentum = T(0), bool nesterov = false, T weight_decay = T(0))
        : momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov) {
        set_rate(rate);
        if (!(momentum >= T(0) && momentum < T(1)))
            detail::fail("SGD needs 0 <= momentum < 1, was given %.9g", double(momentum));
        if (nesterov && momentum == T(0)) detail::fail("SGD with nesterov needs a momentum > 0");
        detail::check_finite_nonnegative(weight_decay, "SGD", "weight_decay");
    }

    T rate() const { return rate_; }
    /// Changes the learning rate (for a schedule); it must be finite and >= 0.
    void set_rate(T rate) {
        detail::check_finite_nonnegative(rate, "SGD", "rate");
        rate_ = rate;
    }

    /// One step of every parameter of `net` along the gradient `g` (checked first: on a bad
    /// gradient it throws and changes nothing).
    void step(NN<T>& net, const Gradient<T>& g) {
        detail::check_gradient(g, net.arch());
        if (momentum_ != T(0) && !velocity_.matches(net.arch())) velocity_.resize(net.arch());
        detail::with_kernels<T>([&](auto k) {
            k.sgd_step(detail::as_row(net.parameters()), g.view(),
                       momentum_ != T(0) ? velocity_.view() : MatrixView<T>(), rate_, momentum_, nesterov_,
                       weight_decay_);
        });
    }

    /// Its state for a checkpoint (see nn::OptimizerState): the velocity, and the settings a
    /// resumed run must share (the rate is nn::train's to check).
    void save(OptimizerState& s) const {
        s.kind("sgd");
        s.number("momentum", double(momentum_));
        s.number("nesterov", nesterov_);
        s.number("weight_decay", double(weight_decay_));
        if (velocity_.size() > 0) s.array<T>("velocity", velocity_.values());
    }
    void load(const OptimizerState& s) {
        s.expect_kind("sgd");
        s.expect("momentum", double(momentum_));
        s.expect("nesterov", nesterov_);
        s.expect("weight_decay", double(weight_decay_));
        Parameters<T> velocity;
        if (s.has_array("velocity")) {
            velocity.resize(s.arch());
            s.read<T>("velocity", velocity.values());
        }
        velocity_ = std::move(velocity);
    }

private:
    T rate_ = 0, momentum_, weight_decay_;
    bool nesterov_;
    Parameters<T> velocity_; // laid out as the parameters
};

/// Adam with decoupled weight decay (AdamW), as torch.optim.AdamW:
///     p -= rate weight_decay p;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
///     p -= rate m_hat / (sqrt(v_hat) + eps),  with the bias corrections m_hat = m / (1 - beta1^t), v_hat likewise.
///     nn::Adam<float> adam(1e-3f);
///     adam.step(net, g);
template <Real T>
class Adam {
public:
    explicit Adam(T rate = T(1e-3), T beta1 = T(0.9), T beta2 = T(0.999), T eps = T(1e-8), T weight_decay = T(0))
        : beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay) {
        set_rate(rate);
        if (!(beta1 >= T(0) && beta1 < T(1))) detail::fail("Adam needs 0 <= beta1 < 1, was given %.9g", double(beta1));
        if (!(beta2 >= T(0) && beta2 < T(1))) detail::fail("Adam needs 0 <= beta2 < 1, was given %.9g", double(beta2));
        if (!(eps > T(0)) || !std::isfinite(eps))
            detail::fail("Adam needs a finite eps > 0, was given %.9g", double(eps));
        detail::check_finite_nonnegative(weight_decay, "Adam", "weight_decay");
    }

    T rate() const { return rate_; }
    void set_rate(T rate) {
        detail::check_finite_nonnegative(rate, "Adam", "rate");
        rate_ = rate;
    }
    /// The number of steps taken.
    std::uint64_t steps() const { return t_; }

    void step(NN<T>& net, const Gradient<T>& g) {
        detail::check_gradient(g, net.arch());
        if (!m_.matches(net.arch())) {
            m_.resize(net.arch());
            v_.resize(net.arch());
            t_ = 0;
        }
        ++t_;
        const T c1 = T(1) - static_cast<T>(std::pow(double(beta1_), double(t_)));
        const T c2 = T(1) - static_cast<T>(std::pow(double(beta2_), double(t_)));
        detail::with_kernels<T>([&](auto k) {
            k.adam_step(detail::as_row(net.parameters()), g.view(), m_.view(), v_.view(), rate_, beta1_, beta2_, eps_,
                        weight_decay_, c1, c2);
        });
    }

    /// Its state for a checkpoint (see nn::OptimizerState): the moments and the step count.
    void save(OptimizerState& s) const {
        s.kind("adam");
        s.number("beta1", double(beta1_));
        s.number("beta2", double(beta2_));
        s.number("eps", double(eps_));
        s.number("weight_decay", double(weight_decay_));
        s.number("steps", double(t_));
        if (m_.size() > 0) {
            s.array<T>("m", m_.values());
            s.array<T>("v", v_.values());
        }
    }
    void load(const OptimizerState& s) {
        s.expect_kind("adam");
        s.expect("beta1", double(beta1_));
        s.expect("beta2", double(beta2_));
        s.expect("eps", double(eps_));
        s.expect("weight_decay", double(weight_decay_));
        const double steps = s.number("steps");
        if (!(steps >= 0 && steps <= 9007199254740992.0) || steps != double(std::uint64_t(steps)))
            detail::fail("the checkpoint's adam has %.17g steps, not a count", steps);
        Parameters<T> m, v;
        if (s.has_array("m") || steps > 0) {
            m.resize(s.arch());
            v.resize(s.arch());
            s.read<T>("m", m.values());
            s.read<T>("v", v.values());
        }
        m_ = std::move(m);
        v_ = std::move(v);
        t_ = std::uint64_t(steps);
    }

private:
    T rate_ = 0, beta1_, beta2_, eps_, weight_decay_;
    Parameters<T> m_, v_; // the moments, laid out as the parameters
    std::uint64_t t_ = 0;
};

/// iRPROP- (Igel and Huesken, 2000), the sign-based full-batch method of FANN's default trainer:
/// every parameter has its own step size, which grows (times eta_plus, up to max_step) while its
/// gradient keeps its sign and shrinks (times eta_minus, down to min_step) when the sign flips;
/// after a flip the parameter stays put and its gradient counts as 0 for the next step. The
/// parameter moves by its step size against the sign of its gradient:
///     same sign as g_prev:     step = min(step eta_plus, max_step);
///     opposite sign:           step = max(step eta_minus, min_step), g = 0;
///     p -= sign(g) step;  g_prev = g
/// as torch.optim.Rprop, whose defaults these are. Only signs count, so the scale of the cost does
/// not matter and there is no learning rate. A full-batch method: nn::train gives it every sample
/// at once (and refuses a smaller TrainOptions.batch_size), since the signs of minibatch gradients
/// flip from batch to batch and shrink every step size to nothing:
///     nn::IRprop<float> rprop;
///     nn::train(net, X, Y, rprop, {.epochs = 500, .shuffle = false});
/// The update is a plain loop: once per pass over the data, it costs nothing beside the pass.
template <Real T>
class IRprop {
public:
    static constexpr bool full_batch = true; ///< for nn::train: one batch of every sample
    struct Options {
        T initial_step = T(0.01), eta_minus = T(0.5), eta_plus = T(1.2), min_step = T(1e-6), max_step = T(50);
    };
    IRprop() : IRprop(Options{}) {}
    explicit IRprop(const Options& options) : o_(options) {
        if (!(o_.eta_minus > T(0) && o_.eta_minus < T(1) && T(1) < o_.eta_plus) || !std::isfinite(o_.eta_plus))
            detail::fail("IRprop needs 0 < eta_minus < 1 < eta_plus, was given eta_minus %.9g, eta_plus %.9g",
                         double(o_.eta_minus), double(o_.eta_plus));
        if (!(T(0) <= o_.min_step && o_.min_step <= o_.initial_step && o_.initial_step <= o_.max_step) ||
            !std::isfinite(o_.max_step))
            detail::fail("IRprop needs 0 <= min_step <= initial_step <= max_step, all finite, was given %.9g, %.9g, "
                         "%.9g",
                         double(o_.min_step), double(o_.initial_step), double(o_.max_step));
    }

    /// Every parameter's current step size, shaped like the network's parameters (empty before
    /// the first step).
    const Parameters<T>& step_sizes() const { return steps_; }

    void step(NN<T>& net, const Gradient<T>& g) {
        detail::check_gradient(g, net.arch());
        if (!steps_.matches(net.arch())) {
            steps_.resize(net.arch());
            previous_.resize(net.arch()); // zeros: no sign to compare with yet
            steps_.fill(o_.initial_step);
        }
        const std::span<T> P = net.parameters(), S = steps_.values(), previous = previous_.values();
        const std::span<const T> G = g.values();
        for (std::size_t i = 0; i < P.size(); ++i) {
            T gi = G[i], &step = S[i];
            const T before = previous[i];
            const int sign = (gi > T(0)) - (gi < T(0)), sign_before = (before > T(0)) - (before < T(0));
            if (sign * sign_before > 0) {
                step = std::min(step * o_.eta_plus, o_.max_step);
            } else if (sign * sign_before < 0) {
                step = std::max(step * o_.eta_minus, o_.min_step);
                gi = T(0);
            }
            P[i] -= gi > T(0) ? step : gi < T(0) ? -step : T(0);
            previous[i] = gi;
        }
    }

    /// Its state for a checkpoint (see nn::OptimizerState): every step size and last gradient.
    void save(OptimizerState& s) const {
        s.kind("irprop-");
        save_options(s);
        if (steps_.size() > 0) {
            s.array<T>("steps", steps_.values());
            s.array<T>("previous", previous_.values());
        }
    }
    void load(const OptimizerState& s) {
        s.expect_kind("irprop-");
        OptimizerState mine;
        save_options(mine);
        for (const auto& [name, value] : mine.numbers()) s.expect(name, value);
        Parameters<T> steps, previous;
        if (s.has_array("steps")) {
            steps.resize(s.arch());
            previous.resize(s.arch());
            s.read<T>("steps", steps.values());
            s.read<T>("previous", previous.values());
        }
        steps_ = std::move(steps);
        previous_ = std::move(previous);
    }

private:
    void save_options(OptimizerState& s) const {
        s.number("initial_step", double(o_.initial_step));
        s.number("eta_minus", double(o_.eta_minus));
        s.number("eta_plus", double(o_.eta_plus));
        s.number("min_step", double(o_.min_step));
        s.number("max_step", double(o_.max_step));
    }

    Options o_;
    Parameters<T> steps_, previous_; // laid out as the parameters
};

} // namespace nn
