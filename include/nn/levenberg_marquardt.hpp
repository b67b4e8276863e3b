// nn/levenberg_marquardt.hpp: Levenberg-Marquardt (MATLAB's trainlm), a full-batch method for
// networks of up to a few thousand parameters trained on the squared error.
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

namespace detail {

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
///     nn::train(net, X, Y, lm, {.epochs = 100, .shuffle = false});
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

    /// Its state for a checkpoint (see nn::OptimizerState): the damping.
    void save(OptimizerState& s) const {
        s.kind("levenberg_marquardt");
        save_options(s);
        s.number("mu", mu_);
        s.number("stalled", stalled_);
    }
    void load(const OptimizerState& s) {
        s.expect_kind("levenberg_marquardt");
        OptimizerState mine;
        save_options(mine);
        for (const auto& [name, value] : mine.numbers()) s.expect(name, value);
        const double mu = s.number("mu");
        if (!(mu >= 0) || !std::isfinite(mu))
            detail::fail("the checkpoint's levenberg_marquardt has damping %.17g", mu);
        mu_ = mu;
        stalled_ = s.number("stalled") != 0;
    }

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
            detail::with_kernels<double>([&](auto k) { k.matmul_at_b(Jd, Jd, HB); });
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
    void save_options(OptimizerState& s) const {
        s.number("damping", o_.damping);
        s.number("decrease", o_.decrease);
        s.number("increase", o_.increase);
        s.number("max_damping", o_.max_damping);
        s.number("max_memory", double(o_.max_memory));
    }

    Options o_;
    double mu_;
    bool stalled_ = false;
    std::vector<double> H_, factor_, delta_; // scratch kept from step to step
};

} // namespace nn
