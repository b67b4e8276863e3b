// nn/optim.hpp: optimizers, which turn a gradient into a step of the parameters.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <nn/detail/kernels.hpp>
#include <nn/gradient.hpp>
#include <nn/network.hpp>

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
        net.check_gradient(g);
        if (momentum_ != T(0) && !velocity_.matches(net.arch())) velocity_.resize(net.arch());
        for (std::size_t l = 0; l < net.layers(); ++l) {
            detail::sgd_step<T>(net.weights(l), g.weights(l),
                                momentum_ != T(0) ? velocity_.weights(l).view() : MatrixView<T>(), rate_, momentum_,
                                nesterov_, weight_decay_);
            detail::sgd_step<T>(net.biases(l), g.biases(l),
                                momentum_ != T(0) ? velocity_.biases(l).view() : MatrixView<T>(), rate_, momentum_,
                                nesterov_, weight_decay_);
        }
    }

private:
    T rate_ = 0, momentum_, weight_decay_;
    bool nesterov_;
    Gradient<T> velocity_;
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
        net.check_gradient(g);
        if (!m_.matches(net.arch())) {
            m_.resize(net.arch());
            v_.resize(net.arch());
            t_ = 0;
        }
        ++t_;
        const T c1 = T(1) - static_cast<T>(std::pow(double(beta1_), double(t_)));
        const T c2 = T(1) - static_cast<T>(std::pow(double(beta2_), double(t_)));
        for (std::size_t l = 0; l < net.layers(); ++l) {
            detail::adam_step<T>(net.weights(l), g.weights(l), m_.weights(l), v_.weights(l), rate_, beta1_, beta2_,
                                 eps_, weight_decay_, c1, c2);
            detail::adam_step<T>(net.biases(l), g.biases(l), m_.biases(l), v_.biases(l), rate_, beta1_, beta2_, eps_,
                                 weight_decay_, c1, c2);
        }
    }

private:
    T rate_ = 0, beta1_, beta2_, eps_, weight_decay_;
    Gradient<T> m_, v_;
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
/// not matter and there is no learning rate. Made for the whole training set at once:
///     nn::IRprop<float> rprop;
///     nn::train(net, X, Y, rprop, {.epochs = 500, .batch_size = X.rows(), .shuffle = false});
/// The update is a plain loop: once per pass over the data, it costs nothing beside the pass.
template <Real T>
class IRprop {
public:
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
    const Gradient<T>& step_sizes() const { return steps_; }

    void step(NN<T>& net, const Gradient<T>& g) {
        net.check_gradient(g);
        if (!steps_.matches(net.arch())) {
            steps_.resize(net.arch());
            previous_.resize(net.arch()); // zeros: no sign to compare with yet
            for (std::size_t l = 0; l < net.layers(); ++l) {
                for (T& x : steps_.weights(l)) x = o_.initial_step;
                for (T& x : steps_.biases(l)) x = o_.initial_step;
            }
        }
        for (std::size_t l = 0; l < net.layers(); ++l) {
            update(net.weights(l), g.weights(l), steps_.weights(l), previous_.weights(l));
            update(net.biases(l), g.biases(l), steps_.biases(l), previous_.biases(l));
        }
    }

private:
    void update(MatrixView<T> P, MatrixView<const T> G, MatrixView<T> S, MatrixView<T> previous) const {
        for (std::size_t i = 0; i < P.size(); ++i) {
            T g = G.data()[i], &step = S.data()[i];
            const T before = previous.data()[i];
            const int sign = (g > T(0)) - (g < T(0)), sign_before = (before > T(0)) - (before < T(0));
            if (sign * sign_before > 0) {
                step = std::min(step * o_.eta_plus, o_.max_step);
            } else if (sign * sign_before < 0) {
                step = std::max(step * o_.eta_minus, o_.min_step);
                g = T(0);
            }
            P.data()[i] -= g > T(0) ? step : g < T(0) ? -step : T(0);
            previous.data()[i] = g;
        }
    }

    Options o_;
    Gradient<T> steps_, previous_;
};

} // namespace nn
