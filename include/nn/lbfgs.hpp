// nn/lbfgs.hpp: L-BFGS with a strong-Wolfe line search, a full-batch method for small data.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <nn/gradient.hpp>
#include <nn/network.hpp>
#include <nn/optimizer.hpp>

namespace nn {

/// L-BFGS (Nocedal, 1980), the quasi-Newton method scikit-learn recommends for small data: each
/// step goes along -H g, where H, an estimate of the inverse Hessian, comes from the last
/// `memory` changes of the parameters and of the gradient (the two-loop recursion), to a length
/// found by a line search that meets the strong Wolfe conditions (sufficient decrease, and a slope
/// flattened by the factor c2), so that every kept pair has positive curvature. A direction that
/// does not descend, or a line search that finds no decrease, starts again from the gradient;
/// when even that finds none, the parameters stay as they were and stalled() says so (nn::train
/// then ends: the cost is at a minimum to the precision of T). Full-batch only: nn::train gives it
/// every sample (TrainOptions.batch_size 0, the default) and refuses fewer. Each step costs
/// nn::train's backprop and one more per step length tried (usually one or two).
///     nn::LBFGS<double> lbfgs;
///     nn::train(net, X, Y, lbfgs, {.epochs = 200, .shuffle = false});
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

    /// Its state for a checkpoint (see nn::OptimizerState): the pairs it keeps and the last point.
    void save(OptimizerState& s) const {
        s.kind("lbfgs");
        save_options(s);
        s.number("pairs", double(pairs_.size()));
        s.number("stalled", stalled_);
        for (std::size_t k = 0; k < pairs_.size(); ++k) {
            s.array<T>(format_pair("s", k), pairs_[k].s);
            s.array<T>(format_pair("y", k), pairs_[k].y);
            s.number(format_pair("rho", k), pairs_[k].rho);
        }
        if (!previous_x_.empty()) {
            s.array<T>("x", previous_x_);
            s.array<T>("g", previous_g_);
        }
    }
    void load(const OptimizerState& s) {
        s.expect_kind("lbfgs");
        OptimizerState mine;
        save_options(mine);
        for (const auto& [name, value] : mine.numbers()) s.expect(name, value);
        const double count = s.number("pairs");
        if (!(count >= 0 && count <= double(o_.memory)) || count != double(std::size_t(count)))
            detail::fail("the checkpoint's lbfgs keeps %.17g pairs; its memory is %zu", count, o_.memory);
        std::vector<Pair> pairs(static_cast<std::size_t>(count));
        for (std::size_t k = 0; k < pairs.size(); ++k) {
            s.read<T>(format_pair("s", k), pairs[k].s);
            s.read<T>(format_pair("y", k), pairs[k].y);
            pairs[k].rho = s.number(format_pair("rho", k));
        }
        std::vector<T> x, g;
        if (s.has_array("x")) {
            s.read<T>("x", x);
            s.read<T>("g", g);
        }
        for (const Pair& p : pairs)
            if (p.s.size() != x.size() || p.y.size() != x.size())
                detail::fail("the checkpoint's lbfgs pairs are not the size of its point");
        if (g.size() != x.size()) detail::fail("the checkpoint's lbfgs gradient is not the size of its point");
        pairs_ = std::move(pairs);
        previous_x_ = std::move(x);
        previous_g_ = std::move(g);
        stalled_ = s.number("stalled") != 0;
    }

    /// One step from the parameters of `net`, whose gradient is `g` and cost `cost`;
    /// cost_at(net, gradient) returns the batch's cost at net's current parameters and fills the
    /// gradient there (the line search's trials).
    template <class CostAt>
    void step(NN<T>& net, const Gradient<T>& g, double cost, CostAt&& cost_at) {
        detail::check_gradient(g, net.arch());
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

    void save_options(OptimizerState& s) const {
        s.number("memory", double(o_.memory));
        s.number("c1", o_.c1);
        s.number("c2", o_.c2);
        s.number("max_evaluations", double(o_.max_evaluations));
    }
    static std::string format_pair(const char* what, std::size_t k) { return detail::format("%s%zu", what, k); }

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

} // namespace nn
