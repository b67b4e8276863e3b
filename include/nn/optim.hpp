// nn/optim.hpp: optimizers, which turn a gradient into a step of the parameters.
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

namespace nn {

namespace detail {
/// Throws "<who> needs a finite <what> >= 0, was given <value>" unless value is finite and >= 0.
template <Real T>
void check_finite_nonnegative(T value, const char* who, const char* what) {
    if (!(value >= T(0)) || !std::isfinite(value))
        fail("%s needs a finite %s >= 0, was given %.9g", who, what, double(value));
}

/// Solves (H + mu I) x = b for a symmetric H (P x P, row-major; the lower triangle is read) by
/// Cholesky factorisation into `factor` (P x P scratch). False when H + mu I is not positive
/// definite to double's precision (a pivot not above 0), x then unspecified.
inline bool damped_cholesky_solve(const std::vector<double>& H, double mu, const std::vector<double>& b,
                                  std::vector<double>& factor, std::vector<double>& x) {
    const std::size_t P = b.size();
    factor.resize(P * P);
    x.resize(P);
    for (std::size_t j = 0; j < P; ++j) {
        double* Lj = factor.data() + j * P;
        double d = H[j * P + j] + mu;
        for (std::size_t k = 0; k < j; ++k) d -= Lj[k] * Lj[k];
        if (!(d > 0) || !std::isfinite(d)) return false;
        Lj[j] = std::sqrt(d);
        for (std::size_t i = j + 1; i < P; ++i) {
            double* Li = factor.data() + i * P;
            double sum = H[i * P + j];
            for (std::size_t k = 0; k < j; ++k) sum -= Li[k] * Lj[k];
            Li[j] = sum / Lj[j];
        }
    }
    for (std::size_t i = 0; i < P; ++i) { // L y = b
        const double* Li = factor.data() + i * P;
        double sum = b[i];
        for (std::size_t k = 0; k < i; ++k) sum -= Li[k] * x[k];
        x[i] = sum / Li[i];
    }
    for (std::size_t i = P; i-- > 0;) { // L^T x = y
        double sum = x[i];
        for (std::size_t k = i + 1; k < P; ++k) sum -= factor[k * P + i] * x[k];
        x[i] = sum / factor[i * P + i];
    }
    return true;
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
        detail::sgd_step<T>(detail::as_row(net.parameters()), g.view(),
                            momentum_ != T(0) ? velocity_.view() : MatrixView<T>(), rate_, momentum_, nesterov_,
                            weight_decay_);
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
        net.check_gradient(g);
        if (!m_.matches(net.arch())) {
            m_.resize(net.arch());
            v_.resize(net.arch());
            t_ = 0;
        }
        ++t_;
        const T c1 = T(1) - static_cast<T>(std::pow(double(beta1_), double(t_)));
        const T c2 = T(1) - static_cast<T>(std::pow(double(beta2_), double(t_)));
        detail::adam_step<T>(detail::as_row(net.parameters()), g.view(), m_.view(), v_.view(), rate_, beta1_, beta2_,
                             eps_, weight_decay_, c1, c2);
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
    const Parameters<T>& step_sizes() const { return steps_; }

    void step(NN<T>& net, const Gradient<T>& g) {
        net.check_gradient(g);
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

private:
    Options o_;
    Parameters<T> steps_, previous_; // laid out as the parameters
};

/// L-BFGS (Nocedal, 1980), the quasi-Newton method scikit-learn recommends for small data: each
/// step goes along -H g, where H, an estimate of the inverse Hessian, comes from the last
/// `memory` changes of the parameters and of the gradient (the two-loop recursion), to a length
/// found by a line search that meets the strong Wolfe conditions (sufficient decrease, and a slope
/// flattened by the factor c2), so that every kept pair has positive curvature. A direction that
/// does not descend, or a line search that finds no decrease, starts again from the gradient;
/// when even that finds none, the parameters stay as they were and stalled() says so (nn::train
/// then ends: the cost is at a minimum to the precision of T). Full-batch
/// only: nn::train refuses batch_size below the number of samples. Each step costs nn::train's
/// backprop and one more per step length tried (usually one or two).
///     nn::LBFGS<double> lbfgs;
///     nn::train(net, X, Y, lbfgs, {.epochs = 200, .batch_size = X.rows(), .shuffle = false});
template <Real T>
class LBFGS {
public:
    struct Options {
        std::size_t memory = 10;          ///< pairs of changes kept
        double c1 = 1e-4;                 ///< sufficient decrease, in (0, c2)
        double c2 = 0.9;                  ///< curvature, in (c1, 1)
        std::size_t max_evaluations = 25; ///< step lengths tried per line search
    };
    static constexpr bool full_batch = true; ///< for nn::train: one batch of every sample

    LBFGS() : LBFGS(Options{}) {}
    explicit LBFGS(const Options& options) : o_(options) {
        if (o_.memory == 0) detail::fail("LBFGS needs a memory of at least 1 pair, was given 0");
        if (!(o_.c1 > 0 && o_.c1 < o_.c2 && o_.c2 < 1))
            detail::fail("LBFGS needs 0 < c1 < c2 < 1, was given c1 %.9g, c2 %.9g", o_.c1, o_.c2);
        if (o_.max_evaluations == 0) detail::fail("LBFGS needs max_evaluations >= 1, was given 0");
    }

    /// True when the last step found no step length that lowers the cost: at a minimum, to the
    /// precision of T.
    bool stalled() const { return stalled_; }

    /// One step from the parameters of `net`, whose gradient is `g` and cost `cost`;
    /// cost_at(net, gradient) returns the batch's cost at net's current parameters and fills the
    /// gradient there (the line search's trials).
    template <class CostAt>
    void step(NN<T>& net, const Gradient<T>& g, double cost, CostAt&& cost_at) {
        net.check_gradient(g);
        if (!std::isfinite(cost)) detail::fail("LBFGS was given a cost of %.9g; it must be finite", cost);
        std::vector<T> x(net.parameters().begin(), net.parameters().end()), grad(g.values().begin(), g.values().end());
        if (stalled_ && x == previous_x_ && grad == previous_g_) return; // the same point: no better now
        if (x.size() != previous_x_.size()) forget(), previous_x_.clear();
        if (!previous_x_.empty()) { // the change since the last step, if it tells the curvature
            Pair pair{difference(x, previous_x_), difference(grad, previous_g_), 0};
            const double sy = dot(pair.s, pair.y);
            if (sy > 1e-12 * dot(pair.y, pair.y) && sy > 0) {
                pair.rho = 1 / sy;
                if (pairs_.size() == o_.memory) pairs_.erase(pairs_.begin());
                pairs_.push_back(std::move(pair));
            }
        }
        previous_x_ = x;
        previous_g_ = grad;
        stalled_ = false;
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::vector<double> d = direction(grad);
            double slope = dot(grad, d);
            if (!(slope < 0)) { // not a descent direction: from the gradient alone
                forget();
                d = direction(grad);
                slope = dot(grad, d);
                if (!(slope < 0)) break; // a zero gradient: nowhere to go
            }
            if (line_search(net, x, d, cost, slope, cost_at)) return;
            if (pairs_.empty()) break;
            forget(); // the estimate led nowhere: once more from the gradient
        }
        set(net, x);
        stalled_ = true;
    }

private:
    struct Pair {
        std::vector<T> s, y;
        double rho;
    };

    void forget() { pairs_.clear(); }

    static void set(NN<T>& net, const std::vector<T>& x) { std::copy(x.begin(), x.end(), net.parameters().begin()); }
    static std::vector<T> difference(const std::vector<T>& a, const std::vector<T>& b) {
        std::vector<T> out(a.size());
        for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] - b[i];
        return out;
    }
    template <class A, class B> // vectors or spans of T or double
    static double dot(const A& a, const B& b) {
        double sum = 0;
        for (std::size_t i = 0; i < a.size(); ++i) sum += double(a[i]) * double(b[i]);
        return sum;
    }

    /// -H g by the two-loop recursion; with no pairs, -g scaled to a length of at most 1.
    std::vector<double> direction(const std::vector<T>& grad) const {
        std::vector<double> q(grad.begin(), grad.end());
        if (pairs_.empty()) {
            const double norm = std::sqrt(dot(grad, grad)), scale = norm > 1 ? 1 / norm : 1;
            for (double& v : q) v *= -scale;
            return q;
        }
        std::vector<double> alpha(pairs_.size());
        for (std::size_t k = pairs_.size(); k-- > 0;) {
            alpha[k] = pairs_[k].rho * dot(pairs_[k].s, q);
            for (std::size_t i = 0; i < q.size(); ++i) q[i] -= alpha[k] * double(pairs_[k].y[i]);
        }
        const Pair& newest = pairs_.back();
        const double gamma = 1 / (newest.rho * dot(newest.y, newest.y)); // s.y / y.y
        for (double& v : q) v *= gamma;
        for (std::size_t k = 0; k < pairs_.size(); ++k) {
            const double beta = pairs_[k].rho * dot(pairs_[k].y, q);
            for (std::size_t i = 0; i < q.size(); ++i) q[i] += double(pairs_[k].s[i]) * (alpha[k] - beta);
        }
        for (double& v : q) v = -v;
        return q;
    }

    /// Sets net's parameters to x + a d for a step length a that meets the strong Wolfe
    /// conditions, C(a) <= C(0) + c1 a C'(0) and |C'(a)| <= c2 |C'(0)| (Nocedal and Wright,
    /// Numerical Optimization, algorithms 3.5 and 3.6: lengths doubled until a minimum is
    /// bracketed, then the bracket narrowed by safeguarded quadratic interpolation), and returns
    /// true; or, when max_evaluations run out first, to the best length of sufficient decrease
    /// found. False (net's parameters unspecified) when there is none.
    template <class CostAt>
    bool line_search(NN<T>& net, const std::vector<T>& x, const std::vector<double>& d, double cost, double slope,
                     CostAt& cost_at) {
        std::vector<T> trial(x.size());
        std::size_t evaluations = 0;
        // C and C' at step length a; false when the trial point is x itself.
        const auto at = [&](double a, double& c, double& dc) {
            for (std::size_t i = 0; i < x.size(); ++i) trial[i] = T(double(x[i]) + a * d[i]);
            if (trial == x) return false;
            set(net, trial);
            ++evaluations;
            c = double(cost_at(net, trial_gradient_));
            dc = dot(trial_gradient_.values(), d);
            if (!std::isfinite(dc)) c = std::numeric_limits<double>::infinity();
            return true;
        };
        const auto decreases = [&](double a, double c) { return std::isfinite(c) && c <= cost + o_.c1 * a * slope; };
        const auto curved = [&](double dc) { return std::abs(dc) <= -o_.c2 * slope; };
        double best_a = 0, best_c = cost; // the best length of sufficient decrease so far
        const auto keep = [&](double a, double c) {
            if (decreases(a, c) && c < best_c) best_a = a, best_c = c;
        };
        const auto settle = [&] { // out of evaluations: the best length found, if any
            if (best_a == 0) return false;
            for (std::size_t i = 0; i < x.size(); ++i) trial[i] = T(double(x[i]) + best_a * d[i]);
            set(net, trial);
            return true;
        };
        // Narrows [lo, hi], where lo meets sufficient decrease and C is lower at lo than at hi.
        const auto zoom = [&](double lo, double c_lo, double dc_lo, double hi, double c_hi) {
            while (evaluations < o_.max_evaluations) {
                const double width = hi - lo;
                // The minimum of the quadratic through C(lo), C'(lo), C(hi), kept 10% inside.
                const double q = dc_lo * width * width / (2 * (c_lo + dc_lo * width - c_hi));
                double a = lo + (std::isfinite(q) ? q : width / 2);
                const double low = std::min(lo + 0.1 * width, hi - 0.1 * width),
                             high = std::max(lo + 0.1 * width, hi - 0.1 * width);
                if (!(a >= low && a <= high)) a = lo + width / 2;
                double c, dc;
                if (!at(a, c, dc)) break;
                keep(a, c);
                if (!decreases(a, c) || c >= c_lo) {
                    hi = a, c_hi = c;
                } else {
                    if (curved(dc)) return true;
                    if (dc * (hi - lo) >= 0) hi = lo, c_hi = c_lo;
                    lo = a, c_lo = c, dc_lo = dc;
                }
            }
            return settle();
        };
        double a_before = 0, c_before = cost, dc_before = slope, a = 1;
        while (evaluations < o_.max_evaluations) {
            double c, dc;
            if (!at(a, c, dc)) break;
            keep(a, c);
            if (!decreases(a, c) || (a_before > 0 && c >= c_before)) return zoom(a_before, c_before, dc_before, a, c);
            if (curved(dc)) return true;
            if (dc >= 0) return zoom(a, c, dc, a_before, c_before);
            a_before = a, c_before = c, dc_before = dc;
            a *= 2;
        }
        return settle();
    }

    Options o_;
    Gradient<T> trial_gradient_; // the line search's scratch
    std::vector<Pair> pairs_;    // oldest first
    std::vector<T> previous_x_, previous_g_;
    bool stalled_ = false;
};

namespace detail {
/// nn::LevenbergMarquardt's sum over processes when there is one process: nothing to add.
struct NoSum {
    void operator()(std::span<double>) const {}
};
} // namespace detail

/// Levenberg-Marquardt (Levenberg 1944, Marquardt 1963), MATLAB's trainlm, for the MSE loss:
/// the residuals r = a - y of every sample and output and their Jacobian J (NN::output_jacobian)
/// give the Gauss-Newton model of the cost, and each step solves
///     (J^T J + mu I) delta = -J^T r
/// for the parameters' change. A step that lowers the cost is taken and mu shrinks by `decrease`
/// (towards Gauss-Newton); one that does not is undone and tried again with mu grown by
/// `increase` (towards a short gradient step); past max_damping the parameters stay as they
/// were and stalled() says so (nn::train then ends). With damping 0 and decrease 0 it is
/// Gauss-Newton, which solves a linear least-squares problem in one step.
///
/// Each step costs one Jacobian (outputs backward passes over the data), J^T J (samples x outputs
/// x parameters^2 multiply-adds) and a Cholesky factorisation (parameters^3 / 6) per damping
/// tried: a method for networks of up to a few thousand parameters. Memory: J^T J and its
/// factor and one more product, 3 parameters^2 doubles, and J a block of samples at a time, all within max_memory;
/// a network too large for it is refused with an nn::Error before anything changes. Full batch
/// only, as nn::LBFGS:
///     nn::LevenbergMarquardt<float> lm;
///     nn::train(net, X, Y, lm, {.epochs = 100, .batch_size = X.rows(), .shuffle = false});
template <Real T>
class LevenbergMarquardt {
public:
    struct Options {
        double damping = 1e-3;                         ///< mu at the start (trainlm's mu)
        double decrease = 0.1;                         ///< mu's factor after a step that lowers the cost
        double increase = 10;                          ///< mu's factor after one that does not
        double max_damping = 1e10;                     ///< stalled once mu would pass this
        std::size_t max_memory = std::size_t(1) << 30; ///< bytes for J^T J, its factor and a block of J
    };
    static constexpr bool full_batch = true; ///< for nn::train: one batch of every sample

    LevenbergMarquardt() : LevenbergMarquardt(Options{}) {}
    explicit LevenbergMarquardt(const Options& options) : o_(options), mu_(options.damping) {
        if (!(o_.damping >= 0) || !std::isfinite(o_.damping))
            detail::fail("LevenbergMarquardt needs a finite damping >= 0, was given %.9g", o_.damping);
        if (!(o_.decrease >= 0 && o_.decrease < 1))
            detail::fail("LevenbergMarquardt needs 0 <= decrease < 1, was given %.9g", o_.decrease);
        if (!(o_.increase > 1) || !std::isfinite(o_.increase))
            detail::fail("LevenbergMarquardt needs a finite increase > 1, was given %.9g", o_.increase);
        if (!(o_.max_damping >= o_.damping) || !std::isfinite(o_.max_damping))
            detail::fail("LevenbergMarquardt needs a finite max_damping >= damping (%.9g), was given %.9g", o_.damping,
                         o_.max_damping);
    }

    /// The damping mu the next step starts from.
    double damping() const { return mu_; }
    /// True when the last step found no damping up to max_damping that lowers the cost.
    bool stalled() const { return stalled_; }

    /// Throws nn::Error unless the method can train `net` on n samples: the MSE loss, and the
    /// memory (block_samples). nn::train asks before it starts.
    void check(const NN<T>& net, std::size_t n) const {
        if (net.loss() != Loss::MSE)
            detail::fail("LevenbergMarquardt minimises a sum of squares: it needs a network with the mse loss, this "
                         "one has %s",
                         name(net.loss()));
        block_samples(net, n);
    }

    /// How many samples' rows of J a step on `net` computes at a time, for n samples: as many as
    /// fit in max_memory beside J^T J, its factor and one more P x P product (3 P^2 doubles), up
    /// to 64 MB of J. nn::Error when not even one sample's rows fit.
    std::size_t block_samples(const NN<T>& net, std::size_t n) const {
        const double P = double(net.parameter_count()), m = double(net.outputs());
        const double fixed = 3 * P * P * sizeof(double), per_sample = m * P * (sizeof(T) + sizeof(double));
        const double left = double(o_.max_memory) - fixed;
        if (!(left >= per_sample))
            detail::fail("LevenbergMarquardt needs %.4g MB for a network of %zu parameters (J^T J, its Cholesky factor "
                         "and the Jacobian of one sample), more than Options.max_memory, %.4g MB; train a network "
                         "this large with nn::LBFGS or nn::IRprop",
                         (fixed + per_sample) / 1e6, net.parameter_count(), double(o_.max_memory) / 1e6);
        const double cap = 64.0 * 1024 * 1024; // larger blocks of J run no faster
        return std::size_t(std::clamp(std::min(left, cap) / per_sample, 1.0, double(std::max<std::size_t>(n, 1))));
    }

    /// One step from the parameters of `net` on the whole training set X, Y, whose cost there
    /// is `cost`.
    void step(NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, double cost) {
        step(net, X, Y, cost, detail::NoSum{});
    }

    /// As above when the training set is spread over processes (nn/mpi.hpp): X, Y are this
    /// process's rows (possibly none), `cost` is the whole set's, and sum(std::span<double>)
    /// adds its argument up over the processes in place; J^T J, J^T r and each damping's cost are
    /// summed that way, so that every process takes the same step.
    template <class Sum>
    void step(NN<T>& net, MatrixView<const T> X, MatrixView<const T> Y, double cost, Sum&& sum) {
        constexpr bool summed = !std::is_same_v<std::remove_cvref_t<Sum>, detail::NoSum>;
        check(net, X.rows());
        if (!summed || X.rows() > 0) net.check_data(X, Y);
        if (!std::isfinite(cost)) detail::fail("LevenbergMarquardt was given a cost of %.9g; it must be finite", cost);
        const std::size_t n = X.rows(), m = net.outputs(), P = net.parameter_count();
        const std::size_t block = block_samples(net, n);
        double n_all = double(n);
        sum(std::span<double>(&n_all, 1));
        // H = J^T J and b = -J^T r, block by block of samples.
        H_.assign(P * P, 0.0);
        std::vector<double> b(P, 0.0);
        Matrix<T> J;
        Matrix<double> Jd, HB;
        Workspace<T> ws;
        for (std::size_t first = 0; first < n; first += block) {
            const std::size_t count = std::min(block, n - first);
            const MatrixView<const T> xb = X.rows(first, count), yb = Y.rows(first, count);
            J.resize_for_overwrite(count * m, P);
            net.output_jacobian(xb, J);
            const MatrixView<const T> a = net.forward(xb, ws);
            Jd.resize_for_overwrite(count * m, P);
            for (std::size_t i = 0; i < J.size(); ++i) Jd.data()[i] = double(J.data()[i]);
            for (std::size_t row = 0; row < count * m; ++row) {
                const double r = double(a.data()[row]) - double(yb.data()[row]);
                const double* j = Jd.data() + row * P;
                for (std::size_t p = 0; p < P; ++p) b[p] -= j[p] * r;
            }
            HB.resize_for_overwrite(P, P);
            detail::matmul_at_b<double>(Jd, Jd, HB);
            for (std::size_t i = 0; i < P * P; ++i) H_[i] += HB.data()[i];
        }
        sum(std::span<double>(H_));
        sum(std::span<double>(b));
        // The cost at trial parameters: the mean over this process's rows, or over every process's.
        const auto cost_here = [&] {
            if constexpr (!summed) {
                return double(net.cost(X, Y, ws));
            } else {
                double c = n > 0 ? double(net.cost(X, Y, ws)) * double(n) : 0.0;
                sum(std::span<double>(&c, 1));
                return c / n_all;
            }
        };
        const std::vector<T> x(net.parameters().begin(), net.parameters().end());
        std::vector<T> trial(P);
        stalled_ = false;
        for (;;) {
            bool moved = true; // false once the step is too short to change a parameter
            if (detail::damped_cholesky_solve(H_, mu_, b, factor_, delta_)) {
                for (std::size_t p = 0; p < P; ++p) trial[p] = T(double(x[p]) + delta_[p]);
                moved = trial != x;
                std::copy(trial.begin(), trial.end(), net.parameters().begin());
                const double c = cost_here();
                if (std::isfinite(c) && c < cost && net.parameters_finite()) {
                    mu_ *= o_.decrease;
                    return;
                }
            }
            const double more = mu_ > 0 ? mu_ * o_.increase : std::max(o_.damping, 1e-3);
            if (more > o_.max_damping || !moved) break;
            mu_ = more;
        }
        std::copy(x.begin(), x.end(), net.parameters().begin());
        stalled_ = true;
    }

private:
    Options o_;
    double mu_;
    bool stalled_ = false;
    std::vector<double> H_, factor_, delta_; // scratch kept from step to step
};

} // namespace nn
