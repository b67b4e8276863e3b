// nn/network.hpp: NN<T>, a dense feed-forward network and its cost: forward pass, exact
// backpropagation, finite differences, initialisation and the plain SGD step.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <utility>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/kernels.hpp>
#include <nn/gradient.hpp>
#include <nn/loss.hpp>
#include <nn/matrix.hpp>
#include <nn/rng.hpp>

namespace nn {

/// How NN::finite_diff approximates a derivative (the notes' eq. 1).
enum class Diff {
    Forward, ///< (C(p + eps) - C(p)) / eps: one cost per parameter, error O(eps)
    Central, ///< (C(p + eps) - C(p - eps)) / 2 eps: two costs per parameter, error O(eps^2)
};

/// How NN::init draws the starting weights (biases start at 0, except for Uniform).
enum class Init {
    Auto,    ///< He for ReLU and LeakyReLU layers, Xavier for the others
    Uniform, ///< weights and biases uniform in [-1, 1], as in the notes
    Xavier,  ///< Glorot: uniform in +-sqrt(6 / (fan_in + fan_out))
    He,      ///< uniform in +-sqrt(6 / fan_in), for ReLU layers
};

namespace detail {

/// Scratch matrices that forward and backprop reuse from call to call. Copying a network gives
/// the copy an empty workspace of its own.
template <Real T>
struct Workspace {
    std::vector<Matrix<T>> outputs; // outputs[l] = a(l+1): n x arch[l+1]
    Matrix<T> z_out;                // the output layer's pre-activation z(L-1), for the costs that read it
    Matrix<T> deltas[2];            // deltas[l % 2] = dC/dz(l): n x arch[l+1]; by parity, so that each
                                    // buffer sees the same shapes every step and stops growing

    Workspace() = default;
    Workspace(const Workspace&) {}
    Workspace& operator=(const Workspace&) { return *this; }
    Workspace(Workspace&&) noexcept = default;
    Workspace& operator=(Workspace&&) noexcept = default;
};

} // namespace detail

/// A dense network of L = arch.size() - 1 layers. Rows are samples: a(0) = X and
/// a(l+1) = act(a(l) . W(l) + b(l)) with W(l): arch[l] x arch[l+1] and b(l): 1 x arch[l+1];
/// act is `hidden` on every layer but the last, which uses `output`. The cost is the network's
/// Loss; the default is the notes' C = (1/n) sum_i sum_j (a_ij - y_ij)^2 (eq. 3, 17), summed
/// over outputs and averaged over samples.
///
///     nn::NN<float> net({2, 2, 1});
///     nn::Rng rng(42);
///     net.randomize(rng, -1.0f, 1.0f);
///     nn::Gradient<float> g;
///     for (int i = 0; i < 5000; ++i) { net.backprop(X, Y, g); net.learn(g, 1.0f); }
///
/// Every function that takes data checks it first and throws nn::Error, naming what was expected
/// and what was given, before it changes anything. The const functions reuse an internal
/// workspace, so one network must not be used by two threads at once (give each thread a copy).
template <Real T>
class NN {
public:
    /// A network with all parameters zero; call init() or randomize() before training.
    /// A combination that makes no sense throws nn::Error: Softmax on a hidden layer or on a single
    /// output, CrossEntropy without a Softmax output, BinaryCrossEntropy without a Sigmoid output.
    explicit NN(std::vector<std::size_t> arch, Activation hidden = Activation::Sigmoid,
                Activation output = Activation::Sigmoid, Loss loss = Loss::MSE)
        : arch_(std::move(arch)), hidden_(hidden), output_(output), loss_(loss) {
        if (arch_.size() < 2)
            detail::fail("arch has %zu %s; a network needs at least 2 (inputs and outputs)", arch_.size(),
                         arch_.size() == 1 ? "entry" : "entries");
        for (std::size_t l = 0; l < arch_.size(); ++l)
            if (arch_[l] == 0) detail::fail("arch[%zu] is 0; every layer needs at least one neuron", l);
        if (!is_valid(hidden)) detail::fail("the hidden activation is not an nn::Activation (value %d)", int(hidden));
        if (!is_valid(output)) detail::fail("the output activation is not an nn::Activation (value %d)", int(output));
        if (!is_valid(loss)) detail::fail("the loss is not an nn::Loss (value %d)", int(loss));
        if (hidden == Activation::Softmax)
            detail::fail("softmax can only be the output activation, not the hidden one");
        if (output == Activation::Softmax && arch_.back() < 2)
            detail::fail("a softmax output needs at least 2 outputs, arch.back() is %zu", arch_.back());
        if (loss != Loss::MSE && output != required_output(loss))
            detail::fail("the %s loss needs a %s output, the output activation is %s", name(loss),
                         name(required_output(loss)), name(output));
        for (std::size_t l = 0; l < layers(); ++l) {
            weights_.emplace_back(arch_[l], arch_[l + 1]);
            biases_.emplace_back(1, arch_[l + 1]);
        }
    }

    const std::vector<std::size_t>& arch() const { return arch_; }
    std::size_t layers() const { return arch_.size() - 1; }
    std::size_t inputs() const { return arch_.front(); }
    std::size_t outputs() const { return arch_.back(); }
    Activation hidden() const { return hidden_; }
    Activation output() const { return output_; }
    Loss loss() const { return loss_; }
    /// The activation of layer l: `hidden` for every layer but the last.
    Activation activation(std::size_t l) const { return l + 1 == layers() ? output_ : hidden_; }

    /// W(l), arch[l] x arch[l+1].
    Matrix<T>& weights(std::size_t l) { return weights_[checked_layer(l)]; }
    const Matrix<T>& weights(std::size_t l) const { return weights_[checked_layer(l)]; }
    /// b(l), 1 x arch[l+1].
    Matrix<T>& biases(std::size_t l) { return biases_[checked_layer(l)]; }
    const Matrix<T>& biases(std::size_t l) const { return biases_[checked_layer(l)]; }

    /// The number of weights and biases.
    std::size_t parameter_count() const {
        std::size_t count = 0;
        for (std::size_t l = 0; l < layers(); ++l) count += weights_[l].size() + biases_[l].size();
        return count;
    }

    /// Sets every weight and bias to a uniform draw between low and high, layer by layer, weights
    /// before biases, row by row: the same seed gives the same network everywhere.
    void randomize(Rng& rng, T low, T high) {
        if (!std::isfinite(low) || !std::isfinite(high) || !(low <= high))
            detail::fail("randomize needs finite low <= high, was given low = %.9g, high = %.9g", double(low),
                         double(high));
        for (std::size_t l = 0; l < layers(); ++l) {
            for (T& w : weights_[l]) w = rng.uniform(low, high);
            for (T& b : biases_[l]) b = rng.uniform(low, high);
        }
    }

    /// Draws the starting weights with the chosen scheme (see nn::Init), layer by layer, row by row.
    void init(Rng& rng, Init scheme = Init::Auto) {
        if (scheme == Init::Uniform) return randomize(rng, T(-1), T(1));
        if (scheme != Init::Auto && scheme != Init::Xavier && scheme != Init::He)
            detail::fail("init was given an unknown nn::Init (value %d)", int(scheme));
        for (std::size_t l = 0; l < layers(); ++l) {
            const Activation act = activation(l);
            const bool he = scheme == Init::He ||
                            (scheme == Init::Auto && (act == Activation::ReLU || act == Activation::LeakyReLU));
            const double fan_in = double(arch_[l]), fan_out = double(arch_[l + 1]);
            const T limit = static_cast<T>(std::sqrt(6.0 / (he ? fan_in : fan_in + fan_out)));
            for (T& w : weights_[l]) w = rng.uniform(-limit, limit);
            biases_[l].fill(T(0));
        }
    }

    /// The network's output for every sample: X is n x arch.front(), the result n x arch.back().
    Matrix<T> forward(MatrixView<const T> X) const {
        check_inputs(X);
        return Matrix<T>(run_forward(X));
    }

    /// The cost of the batch under the network's loss; for MSE, C = (1/n) sum_i sum_j (a_ij - y_ij)^2.
    T cost(MatrixView<const T> X, MatrixView<const T> Y) const {
        check_data(X, Y);
        return static_cast<T>(unchecked_cost(X, Y));
    }

    /// The exact gradient of cost(X, Y), by backpropagation over the whole batch.
    Gradient<T> backprop(MatrixView<const T> X, MatrixView<const T> Y) const {
        Gradient<T> g;
        backprop(X, Y, g);
        return g;
    }

    /// As above, into g, which is resized to the network's shapes (an empty g is fine) and whose
    /// storage is reused from call to call. Returns the batch's cost, which the forward pass gives
    /// for free.
    ///
    /// With delta(l) = dC/dz(l) for z(l) = a(l) . W(l) + b(l), the chain rule gives
    ///     delta(L-1) = (2/n) (a(L) - Y) * act'(a(L))       (MSE: the factor 2 of d(a-y)^2, once;
    ///                                                        the other losses: detail::output_delta)
    ///     dC/dW(l)   = a(l)^T . delta(l),   dC/db(l) = column sums of delta(l)
    ///     delta(l-1) = (delta(l) . W(l)^T) * act'(a(l))
    /// The notes' recurrence (eq. 61-64) multiplies by 2 again at every layer; this does not.
    T backprop(MatrixView<const T> X, MatrixView<const T> Y, Gradient<T>& g) const {
        check_data(X, Y);
        if (!g.matches(arch_)) g.resize(arch_);
        run_forward(X);
        auto& ws = workspace_;
        const std::size_t n = X.rows();
        const std::size_t L = layers();
        ws.deltas[(L - 1) % 2].resize_for_overwrite(n, outputs());
        detail::output_delta<T>(loss_, output_, ws.outputs.back(), Y, ws.deltas[(L - 1) % 2]);
        for (std::size_t l = L; l-- > 0;) {
            const Matrix<T>& delta = ws.deltas[l % 2];
            const MatrixView<const T> in = l == 0 ? X : ws.outputs[l - 1].view();
            detail::matmul_at_b<T>(in, delta, g.weights(l)); // a(l)^T . delta(l): arch[l] x arch[l+1]
            detail::column_sums<T>(delta, g.biases(l));
            if (l == 0) break;
            Matrix<T>& below = ws.deltas[(l - 1) % 2];
            below.resize_for_overwrite(n, arch_[l]);
            detail::matmul_a_bt<T>(delta, weights_[l], below); // n x arch[l]
            detail::mul_derivative<T>(below, ws.outputs[l - 1], hidden_);
        }
        return static_cast<T>(detail::loss_sum<T>(loss_, pre_activation(), ws.outputs.back(), Y) /
                              static_cast<double>(n));
    }

    /// The gradient by finite differences (eq. 1), one parameter at a time: slow, for checking
    /// backprop. Each parameter is moved by eps and put back bit for bit. The quotient divides by
    /// the step actually taken, (p + eps) - p, which can differ from eps by rounding.
    Gradient<T> finite_diff(MatrixView<const T> X, MatrixView<const T> Y, T eps, Diff diff = Diff::Forward) {
        check_data(X, Y);
        if (!std::isfinite(eps) || !(eps > T(0)))
            detail::fail("finite_diff needs a finite eps > 0, was given %.9g", double(eps));
        if (diff != Diff::Forward && diff != Diff::Central)
            detail::fail("finite_diff was given an unknown nn::Diff (value %d)", int(diff));
        Gradient<T> g(arch_);
        const double base = unchecked_cost(X, Y); // costs stay in double: a float quotient keeps its digits
        auto differentiate = [&](Matrix<T>& params, Matrix<T>& grads) {
            for (std::size_t i = 0; i < params.size(); ++i) {
                T& p = params.data()[i];
                const T saved = p;
                p = saved + eps;
                const T step_up = p - saved;
                const double up = unchecked_cost(X, Y);
                if (diff == Diff::Forward) {
                    grads.data()[i] = static_cast<T>((up - base) / static_cast<double>(step_up));
                } else {
                    p = saved - eps;
                    const T step_down = saved - p;
                    const double down = unchecked_cost(X, Y);
                    grads.data()[i] = static_cast<T>((up - down) / (static_cast<double>(step_up) + step_down));
                }
                p = saved;
            }
        };
        for (std::size_t l = 0; l < layers(); ++l) {
            differentiate(weights_[l], g.weights(l));
            differentiate(biases_[l], g.biases(l));
        }
        return g;
    }

    /// One step of gradient descent: p <- p - rate * g for every parameter.
    void learn(const Gradient<T>& g, T rate) {
        if (!std::isfinite(rate)) detail::fail("learn needs a finite rate, was given %.9g", double(rate));
        check_gradient(g);
        for (std::size_t l = 0; l < layers(); ++l) {
            detail::axpy_step<T>(weights_[l], g.weights(l), rate);
            detail::axpy_step<T>(biases_[l], g.biases(l), rate);
        }
    }

    /// Throws nn::Error unless X is n x inputs() with n > 0 and all finite (and the network's own
    /// parameters still have the shapes of its arch: weights(l) and biases(l) can be assigned to).
    void check_inputs(MatrixView<const T> X) const {
        check_shapes(*this, "");
        if (X.cols() != inputs())
            detail::fail("X has %zu column%s, the network takes %zu input%s", X.cols(), detail::plural(X.cols()),
                         inputs(), detail::plural(inputs()));
        if (X.rows() == 0) detail::fail("X has no rows; at least one sample is needed");
        check_finite(X, "X", "X");
    }

    /// Throws nn::Error unless X and Y are a batch this network can take: X n x inputs() and Y n x
    /// outputs() with n > 0, all finite, and targets in [0, 1] for the cross-entropy losses.
    void check_data(MatrixView<const T> X, MatrixView<const T> Y) const {
        check_inputs(X);
        if (Y.cols() != outputs())
            detail::fail("Y has %zu column%s, the network gives %zu output%s", Y.cols(), detail::plural(Y.cols()),
                         outputs(), detail::plural(outputs()));
        if (Y.rows() != X.rows())
            detail::fail("Y has %zu row%s, X has %zu; X and Y need one row per sample", Y.rows(),
                         detail::plural(Y.rows()), X.rows());
        check_finite(Y, "Y", "Y");
        if (loss_ != Loss::MSE)
            for (std::size_t i = 0; i < Y.size(); ++i)
                if (!(Y.data()[i] >= T(0) && Y.data()[i] <= T(1)))
                    detail::fail("Y(%zu, %zu) is %.9g; the %s loss needs targets in [0, 1]", i / Y.cols(), i % Y.cols(),
                                 double(Y.data()[i]), name(loss_));
    }

    /// Throws nn::Error unless g has this network's shapes and only finite values (and the network's
    /// own parameters still have them: what every step checks before it writes).
    void check_gradient(const Gradient<T>& g) const {
        check_shapes(*this, "");
        if (g.layers() != layers())
            detail::fail("the gradient has %zu layer%s, the network has %zu", g.layers(), detail::plural(g.layers()),
                         layers());
        check_shapes(g, "gradient ");
        for (std::size_t l = 0; l < layers(); ++l) {
            check_finite(g.weights(l), "gradient weights", "the gradient", l);
            check_finite(g.biases(l), "gradient biases", "the gradient", l);
        }
    }

private:
    /// Throws unless p (the network itself, or a gradient) has weights(l): arch[l] x arch[l+1] and
    /// biases(l): 1 x arch[l+1] for every layer.
    template <class Parameters>
    void check_shapes(const Parameters& p, const char* whose) const {
        for (std::size_t l = 0; l < layers(); ++l) {
            const Matrix<T>& w = p.weights(l);
            const Matrix<T>& b = p.biases(l);
            if (w.rows() != arch_[l] || w.cols() != arch_[l + 1])
                detail::fail("%sweights(%zu) is %zu x %zu, the network's arch makes it %zu x %zu", whose, l, w.rows(),
                             w.cols(), arch_[l], arch_[l + 1]);
            if (b.rows() != 1 || b.cols() != arch_[l + 1])
                detail::fail("%sbiases(%zu) is %zu x %zu, the network's arch makes it 1 x %zu", whose, l, b.rows(),
                             b.cols(), arch_[l + 1]);
        }
    }

    std::size_t checked_layer(std::size_t l) const {
        if (l >= layers()) detail::fail("layer %zu is out of range: the network has %zu layers", l, layers());
        return l;
    }

    /// Throws "X(r, c) is nan; X must be finite" for the first element that is not finite; with a
    /// layer, "gradient weights(l)(r, c) is nan; the gradient must be finite".
    static constexpr std::size_t no_layer = std::size_t(-1);
    static void check_finite(MatrixView<const T> M, const char* name, const char* whole, std::size_t layer = no_layer) {
        if (detail::all_finite<T>(M.data(), M.size())) return;
        for (std::size_t i = 0; i < M.size(); ++i) {
            const T x = M.data()[i];
            if (std::isfinite(x)) continue;
            const std::size_t r = i / M.cols(), c = i % M.cols();
            if (layer == no_layer)
                detail::fail("%s(%zu, %zu) is %.9g; %s must be finite", name, r, c, double(x), whole);
            detail::fail("%s(%zu)(%zu, %zu) is %.9g; %s must be finite", name, layer, r, c, double(x), whole);
        }
    }

    /// Runs the layers over X into the workspace and returns the last layer's output.
    MatrixView<const T> run_forward(MatrixView<const T> X) const {
        auto& outs = workspace_.outputs;
        outs.resize(layers());
        for (std::size_t l = 0; l < layers(); ++l) {
            const MatrixView<const T> in = l == 0 ? X : outs[l - 1].view();
            outs[l].resize_for_overwrite(X.rows(), arch_[l + 1]);
            if (l + 1 < layers() || !keeps_pre_activation()) {
                detail::matmul<T>(in, weights_[l], outs[l]); // n x arch[l] . arch[l] x arch[l+1]
                detail::add_bias_activate<T>(outs[l], biases_[l], activation(l));
            } else { // the output layer keeps its pre-activation for the cost
                auto& z = workspace_.z_out;
                z.resize_for_overwrite(X.rows(), arch_[l + 1]);
                detail::matmul<T>(in, weights_[l], z);
                detail::add_bias<T>(z, biases_[l]);
                detail::activate_rows<T>(z, output_, outs[l]);
            }
        }
        return outs.back();
    }

    double unchecked_cost(MatrixView<const T> X, MatrixView<const T> Y) const {
        const MatrixView<const T> A = run_forward(X);
        return detail::loss_sum<T>(loss_, pre_activation(), A, Y) / static_cast<double>(X.rows());
    }

    /// Only the cross-entropies' cost reads the output layer's pre-activation (and softmax acts on
    /// whole rows): with MSE and an element-wise output, the forward pass activates the output in
    /// place, as it does a hidden layer, and keeps no pre-activation.
    bool keeps_pre_activation() const { return loss_ != Loss::MSE || !is_elementwise(output_); }

    /// The output layer's pre-activation for detail::loss_sum (which ignores it for MSE).
    MatrixView<const T> pre_activation() const {
        return keeps_pre_activation() ? workspace_.z_out.view() : workspace_.outputs.back().view();
    }

    std::vector<std::size_t> arch_;
    Activation hidden_;
    Activation output_;
    Loss loss_;
    std::vector<Matrix<T>> weights_;
    std::vector<Matrix<T>> biases_;
    mutable detail::Workspace<T> workspace_;
};

} // namespace nn
