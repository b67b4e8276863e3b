// nn/network.hpp: NN<T>, a dense feed-forward network and its cost: construction with its
// starting weights, forward pass, exact backpropagation, finite differences, the plain SGD step
// and a printed summary.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nn/activation.hpp>
#include <nn/detail/format.hpp>
#include <nn/detail/kernels.hpp>
#include <nn/gradient.hpp>
#include <nn/loss.hpp>
#include <nn/matrix.hpp>
#include <nn/metrics.hpp>
#include <nn/parameters.hpp>
#include <nn/rng.hpp>
#include <nn/workspace.hpp>

namespace nn {

namespace detail {
struct NetworkAccess; // nn::train's way to NN's unchecked passes (train.hpp)
}

/// How NN::finite_diff approximates a derivative (the notes' eq. 1).
enum class Diff {
    Forward, ///< (C(p + eps) - C(p)) / eps: one cost per parameter, error O(eps)
    Central, ///< (C(p + eps) - C(p - eps)) / 2 eps: two costs per parameter, error O(eps^2)
};

/// How a network's starting parameters are drawn (biases start at 0, except for Uniform).
enum class Init {
    Auto,    ///< He for ReLU and LeakyReLU layers, Xavier for the others: the constructor's default
    Uniform, ///< weights and biases uniform in [-1, 1], as in the notes
    Xavier,  ///< Glorot: uniform in +-sqrt(6 / (fan_in + fan_out))
    He,      ///< uniform in +-sqrt(6 / fan_in), for ReLU layers
    Zero,    ///< every weight and bias 0 (the notes' other start; it cannot break symmetry)
};

/// True for the enumerators above.
inline bool is_valid(Init scheme) {
    return scheme == Init::Auto || scheme == Init::Uniform || scheme == Init::Xavier || scheme == Init::He ||
           scheme == Init::Zero;
}

/// The starting parameters a network is constructed with: a scheme, and the seed of the nn::Rng
/// that draws it. The default, Init::Auto from seed 0, gives the same network every time, on
/// every platform and with any compiler and flags.
///     nn::NN<float> net({2, 8, 1}, nn::Activation::ReLU, nn::Activation::Sigmoid, nn::Loss::MSE, {.seed = 7});
struct InitOptions {
    Init scheme = Init::Auto;
    std::uint64_t seed = 0;
};

/// A dense network of L = arch.size() - 1 layers. Rows are samples: a(0) = X and
/// a(l+1) = act_l(a(l) . W(l) + b(l)) with W(l): arch[l] x arch[l+1] and b(l): 1 x arch[l+1].
/// The cost is the network's Loss; the default is the notes' C = (1/n) sum_i sum_j (a_ij - y_ij)^2
/// (eq. 3, 17), summed over outputs and averaged over samples. A new network is ready to train:
/// its weights are drawn as InitOptions says (Init::Auto from seed 0 unless told otherwise).
///
///     nn::NN<float> net({2, 3, 1});           // sigmoid layers, MSE, weights drawn from seed 0
///     nn::Gradient<float> g;
///     for (int i = 0; i < 5000; ++i) { net.backprop(X, Y, g); net.learn(g, 1.0f); }
///
/// Every function that takes data checks it first and throws nn::Error, naming what was expected
/// and what was given, before it changes anything. A network holds no scratch memory: its const
/// functions are safe to call from any number of threads at once, and give the same bits as
/// serial calls. The passes' scratch lives in the caller's nn::Gradient (backprop) or
/// nn::Workspace (forward, cost), so repeated calls with the same one allocate nothing.
template <Real T>
class NN {
public:
    /// A network whose hidden layers all use `hidden` and whose output layer uses `output`.
    /// A combination that makes no sense throws nn::Error: Softmax on a hidden layer or on a single
    /// output, CrossEntropy without a Softmax output, BinaryCrossEntropy without a Sigmoid output.
    explicit NN(std::vector<std::size_t> arch, Activation hidden = Activation::Sigmoid,
                Activation output = Activation::Sigmoid, Loss loss = Loss::MSE, InitOptions init = {})
        : NN(arch, uniform_layers(arch, hidden, output), loss, init) {}

    /// A network with one activation per layer, activations[l] for layer l (the last, the output's):
    ///     nn::NN<float> net({784, 256, 32, 10}, {nn::Activation::ReLU, nn::Activation::Tanh,
    ///                                            nn::Activation::Softmax}, nn::Loss::CrossEntropy);
    NN(std::vector<std::size_t> arch, std::vector<Activation> activations, Loss loss = Loss::MSE,
       InitOptions init = {});

    /// As above, for widths of any one integer type, without a narrowing error: `int hidden = 32;
    /// nn::NN<float> net({4, hidden, 3});`. A negative width is an nn::Error.
    template <std::integral I>
    explicit NN(std::initializer_list<I> arch, Activation hidden = Activation::Sigmoid,
                Activation output = Activation::Sigmoid, Loss loss = Loss::MSE, InitOptions init = {})
        : NN(widths(arch), hidden, output, loss, init) {}
    template <std::integral I>
    NN(std::initializer_list<I> arch, std::vector<Activation> activations, Loss loss = Loss::MSE, InitOptions init = {})
        : NN(widths(arch), std::move(activations), loss, init) {}

    /// Copies take the other network's arch, activations, loss and parameters.
    NN(const NN&) = default;
    NN(NN&&) noexcept = default;
    NN& operator=(const NN& other) {
        if (this != &other) *this = NN(other); // whole: the parameters' own assignment refuses other shapes
        return *this;
    }
    NN& operator=(NN&&) noexcept = default;

    const std::vector<std::size_t>& arch() const { return params_.arch(); }
    std::size_t layers() const { return params_.layers(); }
    std::size_t inputs() const { return arch().front(); }
    std::size_t outputs() const { return arch().back(); }
    /// One activation per layer; the last is the output layer's.
    const std::vector<Activation>& activations() const { return activations_; }
    /// The activation of layer l.
    Activation activation(std::size_t l) const { return activations_[checked_layer(l)]; }
    /// The activation every hidden layer shares; nn::Error for a network without hidden layers or
    /// whose hidden layers differ (then ask activation(l)).
    Activation hidden() const;
    Activation output() const { return activations_.back(); }
    Loss loss() const { return loss_; }

    /// W(l), arch[l] x arch[l+1]: elements can be written, but its shape is fixed (see ParameterMatrix).
    ParameterMatrix<T>& weights(std::size_t l) { return params_.weights(checked_layer(l)); }
    const ParameterMatrix<T>& weights(std::size_t l) const { return params_.weights(checked_layer(l)); }
    /// b(l), 1 x arch[l+1].
    ParameterMatrix<T>& biases(std::size_t l) { return params_.biases(checked_layer(l)); }
    const ParameterMatrix<T>& biases(std::size_t l) const { return params_.biases(checked_layer(l)); }

    /// Every weight and bias in one span, in the flat order (W(0) row by row, b(0), W(1), b(1),
    /// ...: see nn::Parameters), the storage weights(l) and biases(l) view: for optimizers and
    /// tools that see the parameters as one vector.
    ///     std::vector<float> saved(net.parameters().begin(), net.parameters().end());
    std::span<T> parameters() { return params_.values(); }
    std::span<const T> parameters() const { return params_.values(); }
    /// The same, as the nn::Parameters that holds them (read only: the shapes are the network's).
    const Parameters<T>& parameter_store() const { return params_; }

    /// The number of weights and biases.
    std::size_t parameter_count() const { return params_.size(); }

    /// Sets every weight and bias to a uniform draw between low and high, layer by layer, weights
    /// before biases, row by row: the same seed gives the same network everywhere.
    void randomize(Rng& rng, T low, T high);

    /// Draws new starting weights with the chosen scheme (see nn::Init), layer by layer, row by row.
    void init(Rng& rng, Init scheme = Init::Auto);

    /// The network's output for every sample: X is n x arch.front(), the result n x arch.back().
    Matrix<T> forward(MatrixView<const T> X) const;

    /// As above, computed in the caller's workspace, which is reused from call to call (no
    /// allocation once it is large enough). The view is into `ws`: valid until its next use.
    MatrixView<const T> forward(MatrixView<const T> X, Workspace<T>& ws) const {
        check_inputs(X);
        return checked_forward(X, ws, "forward");
    }

    /// One sample: output = the network's output for input, the same bits as forward on a
    /// one-row batch. input has inputs() values, output outputs(); nn::Error otherwise, or for an
    /// input that is not finite. Safe from any number of threads at once; the scratch memory is
    /// the calling thread's own, so no call after a thread's first (for a network no larger)
    /// allocates.
    ///     float out[1];
    ///     net.predict(std::array{0.0f, 1.0f}, out);
    void predict(std::span<const T> input, std::span<T> output) const;
    /// As above, into a new vector.
    std::vector<T> predict(std::span<const T> input) const {
        std::vector<T> output(outputs());
        predict(input, output);
        return output;
    }
    /// As above, for a braced list: auto y = net.predict({0.0f, 1.0f});
    std::vector<T> predict(std::initializer_list<T> input) const {
        return predict(std::span<const T>(input.begin(), input.size()));
    }
    /// The class the network gives one sample: the index of its largest output or, for a network
    /// with one output, 1 when the output is above 0.5 and 0 otherwise (as nn::accuracy counts).
    std::size_t predict_class(std::span<const T> input) const;
    /// The class of every sample (row) of X.
    std::vector<std::size_t> predict_classes(MatrixView<const T> X) const;

    /// The cost of the batch under the network's loss; for MSE, C = (1/n) sum_i sum_j (a_ij - y_ij)^2.
    T cost(MatrixView<const T> X, MatrixView<const T> Y) const {
        Workspace<T> ws;
        return cost(X, Y, ws);
    }

    /// As above, in the caller's workspace; afterwards ws.output() holds the outputs for X.
    T cost(MatrixView<const T> X, MatrixView<const T> Y, Workspace<T>& ws) const {
        check_data(X, Y);
        const MatrixView<const T> A = checked_forward(X, ws, "cost");
        return static_cast<T>(loss_sum(pre_activation(ws), A, Y) / static_cast<double>(X.rows()));
    }

    /// The exact gradient of cost(X, Y), by backpropagation over the whole batch.
    Gradient<T> backprop(MatrixView<const T> X, MatrixView<const T> Y) const {
        Gradient<T> g;
        backprop(X, Y, g);
        return g;
    }

    /// As above, into g, which is resized to the network's shapes (an empty g is fine) and whose
    /// storage, scratch memory included, is reused from call to call. Returns the batch's cost,
    /// which the forward pass gives for free.
    ///
    /// With delta(l) = dC/dz(l) for z(l) = a(l) . W(l) + b(l), the chain rule gives
    ///     delta(L-1) = (2/n) (a(L) - Y) * act'(a(L))       (MSE: the factor 2 of d(a-y)^2, once;
    ///                                                        the other losses: detail::output_delta)
    ///     dC/dW(l)   = a(l)^T . delta(l),   dC/db(l) = column sums of delta(l)
    ///     delta(l-1) = (delta(l) . W(l)^T) * act_{l-1}'(a(l))
    /// The notes' recurrence (eq. 61-64) multiplies by 2 again at every layer; this does not.
    T backprop(MatrixView<const T> X, MatrixView<const T> Y, Gradient<T>& g) const {
        return backprop(X, Y, g, X.rows());
    }

    /// As above for X, Y a part of a batch of `batch_rows` samples (batch_rows >= X.rows()): the
    /// gradient and cost of the loss summed over these samples and divided by batch_rows, so that
    /// the parts of a batch add up to the batch's gradient and cost (nn::mpi::train sums them
    /// over processes; a loop can accumulate micro-batches the same way).
    T backprop(MatrixView<const T> X, MatrixView<const T> Y, Gradient<T>& g, std::size_t batch_rows) const {
        check_data(X, Y);
        if (batch_rows < X.rows())
            detail::fail("backprop was told the batch has %zu row%s, fewer than the %zu of X", batch_rows,
                         detail::plural(batch_rows), X.rows());
        return run_backprop(X, Y, g, batch_rows);
    }

    /// The Jacobian of the outputs with respect to the parameters, by backpropagation: row
    /// i * outputs() + o of J holds d a(i, o) / d theta for sample i and output o, the parameters
    /// theta in the flat order (W(0) row by row, then b(0), then W(1), b(1), ...). J must be
    /// (X.rows() * outputs()) x parameter_count(). One backward pass per output: for output o the
    /// delta at the output layer is act'(a) in column o (Softmax: a_o (1[j = o] - a_j)), and the
    /// rows of J are the per-sample outer products a(l)^T delta(l). For the Gauss-Newton methods
    /// (nn::LevenbergMarquardt), whose residuals are a - y.
    void output_jacobian(MatrixView<const T> X, MatrixView<T> J) const;

    /// The gradient by finite differences (eq. 1), one parameter at a time: slow, for checking
    /// backprop. Each parameter is moved by eps and put back bit for bit. The quotient divides by
    /// the step actually taken, (p + eps) - p, which can differ from eps by rounding; an eps too
    /// small to move a parameter at all throws nn::Error.
    Gradient<T> finite_diff(MatrixView<const T> X, MatrixView<const T> Y, T eps, Diff diff = Diff::Forward);

    /// One step of gradient descent: p <- p - rate * g for every parameter.
    void learn(const Gradient<T>& g, T rate);

    /// Throws nn::Error unless X is n x inputs() with n > 0 and all finite; `name` is what the
    /// caller calls X in the message ("X_val has 3 columns, ...").
    void check_inputs(MatrixView<const T> X, const char* name = "X") const;

    /// Throws nn::Error unless X and Y are a batch this network can take: X n x inputs() and Y n x
    /// outputs() with n > 0, all finite, and targets the loss can take (detail::check_targets).
    void check_data(MatrixView<const T> X, MatrixView<const T> Y, const char* x_name = "X",
                    const char* y_name = "Y") const;

    /// Throws nn::Error unless g has this network's shapes and only finite values.
    void check_gradient(const Gradient<T>& g) const { detail::check_gradient(g, arch()); }

    /// True when every weight and bias is finite.
    bool parameters_finite() const;

    /// One line per layer (index, in -> out, activation, parameters), then the loss and the total:
    ///     std::cout << net;   // or net.summary()
    std::string summary() const;

    friend std::ostream& operator<<(std::ostream& os, const NN& net) { return os << net.summary(); }

private:
    template <std::integral I>
    static std::vector<std::size_t> widths(std::initializer_list<I> arch) {
        std::vector<std::size_t> out;
        for (const I w : arch) {
            if constexpr (std::is_signed_v<I>)
                if (w < 0)
                    detail::fail("arch[%zu] is %lld; a width is at least 1", out.size(), static_cast<long long>(w));
            out.push_back(static_cast<std::size_t>(w));
        }
        return out;
    }

    static void check_arch(const std::vector<std::size_t>& arch);

    /// `hidden` for every layer but the last, which gets `output` (the four-argument constructor).
    static std::vector<Activation> uniform_layers(const std::vector<std::size_t>& arch, Activation hidden,
                                                  Activation output);

    std::size_t checked_layer(std::size_t l) const {
        if (l >= layers()) detail::fail("layer %zu is out of range: the network has %zu layers", l, layers());
        return l;
    }

    /// One sample through the layers, in the calling thread's own workspace: the output row, valid
    /// until the thread's next call. nn::Error for an input of another size or not finite.
    MatrixView<const T> predict_row(std::span<const T> input) const;

    /// backprop without the checks of X and Y (nn::train checks every sample once, at the start).
    friend struct detail::NetworkAccess;
    T run_backprop(MatrixView<const T> X, MatrixView<const T> Y, Gradient<T>& g, std::size_t batch_rows) const;

    /// run_forward, and an nn::Error unless every output is finite: finite inputs that overflow a
    /// layer are named, with the layer and the inputs' scale, rather than given back as NaN.
    MatrixView<const T> checked_forward(MatrixView<const T> X, Workspace<T>& ws, const char* what) const {
        const MatrixView<const T> out = run_forward(X, ws);
        if (!detail::all_finite<T>(out.data(), out.size())) report_overflow(X, ws, what);
        return out;
    }
    [[noreturn]] void report_overflow(MatrixView<const T> X, const Workspace<T>& ws, const char* what) const;

    /// Runs the layers over X into the workspace, with the CPU's kernels (detail::Passes), and
    /// returns the last layer's output.
    MatrixView<const T> run_forward(MatrixView<const T> X, Workspace<T>& ws) const;

    /// What the kernels' passes need of this network.
    detail::Layers<T> passes() const {
        return {arch().data(), layers(), activations_.data(), params_.values().data(), loss_, keeps_pre_activation()};
    }

    double unchecked_cost(MatrixView<const T> X, MatrixView<const T> Y, Workspace<T>& ws) const {
        const MatrixView<const T> A = run_forward(X, ws);
        return loss_sum(pre_activation(ws), A, Y) / static_cast<double>(X.rows());
    }

    /// Only the cross-entropies' cost reads the output layer's pre-activation (and softmax acts on
    /// whole rows): with MSE and an element-wise output, the forward pass activates the output in
    /// place, as it does a hidden layer, and keeps no pre-activation.
    bool keeps_pre_activation() const { return loss_ != Loss::MSE || !is_elementwise(output()); }

    /// The output layer's pre-activation for detail::loss_sum (which ignores it for MSE).
    MatrixView<const T> pre_activation(const Workspace<T>& ws) const {
        return keeps_pre_activation() ? ws.z_out_.view() : ws.outputs_.back().view();
    }

    /// n times the cost of outputs A (pre-activation Z) against targets Y: detail::loss_sum, run by
    /// the CPU's copy of the kernels, as the passes are.
    double loss_sum(MatrixView<const T> Z, MatrixView<const T> A, MatrixView<const T> Y) const;

    std::vector<Activation> activations_; // activations_[l] for layer l; the last is the output's
    Loss loss_;
    Parameters<T> params_; // the weights and biases, in the flat order
};

// The member functions of more than a few lines, defined outside the class so that they are not
// inline: in the compiled mode (config.hpp) a translation unit then compiles none of them.

template <Real T>
NN<T>::NN(std::vector<std::size_t> arch, std::vector<Activation> activations, Loss loss, InitOptions init)
    : activations_(std::move(activations)), loss_(loss) {
    check_arch(arch);
    const std::size_t L = arch.size() - 1;
    if (activations_.size() != L)
        detail::fail("activations has %zu entr%s; the arch makes %zu layer%s, one activation each", activations_.size(),
                     activations_.size() == 1 ? "y" : "ies", L, detail::plural(L));
    detail::check_activations(activations_);
    if (!is_valid(loss)) detail::fail("the loss is not an nn::Loss (value %d)", int(loss));
    if (output() == Activation::Softmax && arch.back() < 2)
        detail::fail("a softmax output needs at least 2 outputs, arch.back() is %zu", arch.back());
    if (loss != Loss::MSE && output() != required_output(loss))
        detail::fail("the %s loss needs a %s output, the output activation is %s", name(loss),
                     name(required_output(loss)), name(output()));
    if (!is_valid(init.scheme)) detail::fail("InitOptions.scheme is not an nn::Init (value %d)", int(init.scheme));
    params_.resize(arch);
    Rng rng(init.seed);
    this->init(rng, init.scheme);
}

template <Real T>
Activation NN<T>::hidden() const {
    if (layers() < 2) detail::fail("the network has no hidden layer; its one layer's activation is output()");
    for (std::size_t l = 1; l + 1 < layers(); ++l)
        if (activations_[l] != activations_[0])
            detail::fail("the hidden layers' activations differ (layer 0: %s, layer %zu: %s); ask activation(l)",
                         name(activations_[0]), l, name(activations_[l]));
    return activations_[0];
}

template <Real T>
void NN<T>::randomize(Rng& rng, T low, T high) {
    if (!std::isfinite(low) || !std::isfinite(high) || !(low <= high))
        detail::fail("randomize needs finite low <= high, was given low = %.9g, high = %.9g", double(low),
                     double(high));
    for (T& p : params_.values()) p = rng.uniform(low, high); // the flat order: by layer, weights first
}

template <Real T>
void NN<T>::init(Rng& rng, Init scheme) {
    if (!is_valid(scheme)) detail::fail("init was given an unknown nn::Init (value %d)", int(scheme));
    if (scheme == Init::Uniform) return randomize(rng, T(-1), T(1));
    for (std::size_t l = 0; l < layers(); ++l) {
        params_.biases(l).fill(T(0));
        if (scheme == Init::Zero) {
            params_.weights(l).fill(T(0));
            continue;
        }
        const Activation act = activation(l);
        const bool he =
            scheme == Init::He || (scheme == Init::Auto && (act == Activation::ReLU || act == Activation::LeakyReLU));
        const double fan_in = double(arch()[l]), fan_out = double(arch()[l + 1]);
        const T limit = static_cast<T>(std::sqrt(6.0 / (he ? fan_in : fan_in + fan_out)));
        for (T& w : params_.weights(l)) w = rng.uniform(-limit, limit);
    }
}

template <Real T>
Matrix<T> NN<T>::forward(MatrixView<const T> X) const {
    check_inputs(X);
    Workspace<T> ws;
    checked_forward(X, ws, "forward");
    return std::move(ws.outputs_.back());
}

template <Real T>
MatrixView<const T> NN<T>::predict_row(std::span<const T> input) const {
    if (input.size() != inputs())
        detail::fail("predict was given %zu input%s, the network takes %zu", input.size(), detail::plural(input.size()),
                     inputs());
    const MatrixView<const T> x(input.data(), 1, input.size());
    detail::check_finite<T>(x, "input", "the input");
    thread_local Workspace<T> ws; // this thread's, reused: after the first call no allocation
    return checked_forward(x, ws, "predict");
}

template <Real T>
void NN<T>::predict(std::span<const T> input, std::span<T> output) const {
    if (output.size() != outputs())
        detail::fail("predict was given room for %zu output%s, the network gives %zu", output.size(),
                     detail::plural(output.size()), outputs());
    const MatrixView<const T> out = predict_row(input);
    for (std::size_t k = 0; k < out.size(); ++k) output[k] = out.data()[k];
}

template <Real T>
std::size_t NN<T>::predict_class(std::span<const T> input) const {
    const MatrixView<const T> out = predict_row(input);
    return detail::class_of(out.data(), out.size());
}

template <Real T>
std::vector<std::size_t> NN<T>::predict_classes(MatrixView<const T> X) const {
    Workspace<T> ws;
    const MatrixView<const T> out = forward(X, ws);
    std::vector<std::size_t> classes(X.rows());
    for (std::size_t i = 0; i < X.rows(); ++i) classes[i] = detail::class_of(out.data() + i * out.cols(), out.cols());
    return classes;
}

template <Real T>
double NN<T>::loss_sum(MatrixView<const T> Z, MatrixView<const T> A, MatrixView<const T> Y) const {
    return detail::with_kernels<T>([&](auto k) { return k.loss_sum(loss_, Z, A, Y); });
}

template <Real T>
T NN<T>::run_backprop(MatrixView<const T> X, MatrixView<const T> Y, Gradient<T>& g, std::size_t batch_rows) const {
    if (!g.matches(arch())) g.resize(arch());
    Workspace<T>& ws = g.workspace_;
    ws.outputs_.resize(layers());
    const double sum = detail::with_kernels<T>([&](auto k) {
        return k.backprop(passes(), X, Y, batch_rows, ws.outputs_.data(), ws.z_out_, ws.deltas_, g.values().data());
    });
    return static_cast<T>(sum / static_cast<double>(batch_rows));
}

template <Real T>
void NN<T>::output_jacobian(MatrixView<const T> X, MatrixView<T> J) const {
    check_inputs(X);
    const std::size_t n = X.rows(), m = outputs(), P = parameter_count(), L = layers();
    if (J.rows() != n * m || J.cols() != P)
        detail::fail("output_jacobian needs J of %zu x %zu (%zu samples x %zu outputs, %zu parameters), was given "
                     "%zu x %zu",
                     n * m, P, n, m, P, J.rows(), J.cols());
    Workspace<T> ws;
    const MatrixView<const T> A = run_forward(X, ws);
    Matrix<T> deltas[2];
    for (std::size_t o = 0; o < m; ++o) {
        Matrix<T>& top = deltas[(L - 1) % 2]; // d a(i, o) / d z(L-1)(i, j)
        top.resize(n, m);
        for (std::size_t i = 0; i < n; ++i) {
            const T* a = A.data() + i * m;
            if (output() == Activation::Softmax)
                for (std::size_t j = 0; j < m; ++j) top(i, j) = a[o] * ((j == o ? T(1) : T(0)) - a[j]);
            else
                top(i, o) = derivative_from_output(output(), a[o]);
        }
        for (std::size_t l = L; l-- > 0;) {
            const Matrix<T>& delta = deltas[l % 2];
            const MatrixView<const T> in = l == 0 ? X : ws.outputs_[l - 1].view();
            const std::size_t rows = arch()[l], cols = arch()[l + 1];
            for (std::size_t i = 0; i < n; ++i) {
                T* row = J.data() + (i * m + o) * P + detail::layer_offset(arch(), l); // the flat order
                const T* d = delta.data() + i * cols;
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t c = 0; c < cols; ++c) row[r * cols + c] = in(i, r) * d[c];
                for (std::size_t c = 0; c < cols; ++c) row[rows * cols + c] = d[c];
            }
            if (l == 0) break;
            Matrix<T>& below = deltas[(l - 1) % 2];
            below.resize_for_overwrite(n, arch()[l]);
            detail::with_kernels<T>([&](auto k) {
                k.matmul_a_bt(delta, params_.weights(l), below);
                k.mul_derivative(below, ws.outputs_[l - 1], activations_[l - 1]);
            });
        }
    }
}

template <Real T>
Gradient<T> NN<T>::finite_diff(MatrixView<const T> X, MatrixView<const T> Y, T eps, Diff diff) {
    check_data(X, Y);
    if (!std::isfinite(eps) || !(eps > T(0)))
        detail::fail("finite_diff needs a finite eps > 0, was given %.9g", double(eps));
    if (diff != Diff::Forward && diff != Diff::Central)
        detail::fail("finite_diff was given an unknown nn::Diff (value %d)", int(diff));
    Gradient<T> g(arch());
    Workspace<T> ws;
    const double base = unchecked_cost(X, Y, ws); // costs stay in double: a float quotient keeps its digits
    auto differentiate = [&](ParameterMatrix<T>& params, ParameterMatrix<T>& grads, const char* what, std::size_t l) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            T& p = params.data()[i];
            const T saved = p;
            const T step_up = (saved + eps) - saved, step_down = saved - (saved - eps);
            if (step_up == T(0) || (diff == Diff::Central && step_down == T(0)))
                detail::fail("finite_diff: eps = %.9g is too small to move %s(%zu)(%zu, %zu) = %.9g (p + eps "
                             "rounds to p); use a larger eps",
                             double(eps), what, l, i / params.cols(), i % params.cols(), double(saved));
            p = saved + eps;
            const double up = unchecked_cost(X, Y, ws);
            if (diff == Diff::Forward) {
                grads.data()[i] = static_cast<T>((up - base) / static_cast<double>(step_up));
            } else {
                p = saved - eps;
                const double down = unchecked_cost(X, Y, ws);
                grads.data()[i] = static_cast<T>((up - down) / (static_cast<double>(step_up) + step_down));
            }
            p = saved;
        }
    };
    for (std::size_t l = 0; l < layers(); ++l) {
        differentiate(params_.weights(l), g.weights(l), "weights", l);
        differentiate(params_.biases(l), g.biases(l), "biases", l);
    }
    return g;
}

template <Real T>
void NN<T>::learn(const Gradient<T>& g, T rate) {
    if (!std::isfinite(rate) || !(rate >= T(0)))
        detail::fail("learn needs a finite rate >= 0, was given %.9g", double(rate));
    check_gradient(g);
    detail::with_kernels<T>([&](auto k) { k.axpy_step(params_.view(), g.view(), rate); });
}

namespace detail {
/// Throws nn::Error unless the matrix called `name` has `expected` columns: "X has 3 columns, the
/// network takes 2 inputs" (verb "takes", noun "input") or "... gives 3 outputs" ("gives", "output").
inline void check_columns(const char* name, std::size_t columns, std::size_t expected, const char* verb,
                          const char* noun) {
    if (columns != expected)
        fail("%s has %zu column%s, the network %s %zu %s%s", name, columns, plural(columns), verb, expected, noun,
             plural(expected));
}
} // namespace detail

template <Real T>
void NN<T>::check_inputs(MatrixView<const T> X, const char* name) const {
    detail::check_columns(name, X.cols(), inputs(), "takes", "input");
    if (X.rows() == 0) detail::fail("%s has no rows; at least one sample is needed", name);
    detail::check_finite<T>(X, name, name);
}

template <Real T>
void NN<T>::check_data(MatrixView<const T> X, MatrixView<const T> Y, const char* x_name, const char* y_name) const {
    check_inputs(X, x_name);
    detail::check_columns(y_name, Y.cols(), outputs(), "gives", "output");
    if (Y.rows() != X.rows())
        detail::fail("%s has %zu row%s, %s has %zu; %s and %s need one row per sample", y_name, Y.rows(),
                     detail::plural(Y.rows()), x_name, X.rows(), x_name, y_name);
    detail::check_finite<T>(Y, y_name, y_name);
    detail::check_targets<T>(loss_, Y, y_name);
}

template <Real T>
bool NN<T>::parameters_finite() const {
    return detail::all_finite<T>(params_.values().data(), params_.size());
}

template <Real T>
std::string NN<T>::summary() const {
    std::string out = detail::format("NN<%s>: %zu layer%s, loss %s\n", sizeof(T) == sizeof(float) ? "float" : "double",
                                     layers(), detail::plural(layers()), name(loss_));
    out += "  layer      in ->    out  activation    parameters\n";
    for (std::size_t l = 0; l < layers(); ++l)
        detail::append(out, "  %5zu  %6zu -> %6zu  %-10s  %12zu\n", l, arch()[l], arch()[l + 1], name(activations_[l]),
                       params_.weights(l).size() + params_.biases(l).size());
    detail::append(out, "  total  %6zu -> %6zu              %12zu\n", inputs(), outputs(), parameter_count());
    return out;
}

template <Real T>
void NN<T>::check_arch(const std::vector<std::size_t>& arch) {
    if (arch.size() < 2)
        detail::fail("arch has %zu %s; a network needs at least 2 (inputs and outputs)", arch.size(),
                     arch.size() == 1 ? "entry" : "entries");
    for (std::size_t l = 0; l < arch.size(); ++l)
        if (arch[l] == 0) detail::fail("arch[%zu] is 0; every layer needs at least one neuron", l);
}

template <Real T>
std::vector<Activation> NN<T>::uniform_layers(const std::vector<std::size_t>& arch, Activation hidden,
                                              Activation output) {
    check_arch(arch);
    if (!is_valid(hidden)) detail::fail("the hidden activation is not an nn::Activation (value %d)", int(hidden));
    if (!is_valid(output)) detail::fail("the output activation is not an nn::Activation (value %d)", int(output));
    if (hidden == Activation::Softmax) detail::fail("softmax can only be the output activation, not the hidden one");
    std::vector<Activation> per_layer(arch.size() - 2, hidden);
    per_layer.push_back(output);
    return per_layer;
}

template <Real T>
void NN<T>::report_overflow(MatrixView<const T> X, const Workspace<T>& ws, const char* what) const {
    if (!parameters_finite()) {
        for (std::size_t l = 0; l < layers(); ++l) {
            detail::check_finite<T>(weights(l), "weights", "a network's parameters", l);
            detail::check_finite<T>(biases(l), "biases", "a network's parameters", l);
        }
    }
    // The first layer whose output (or, for an output layer that keeps it, weighted sum) is not
    // finite, and the inputs of the sample where it is not.
    for (std::size_t l = 0; l < layers(); ++l) {
        const bool kept = l + 1 == layers() && keeps_pre_activation();
        for (const Matrix<T>* m : {kept ? &ws.z_out_ : nullptr, &ws.outputs_[l]}) {
            if (!m || detail::all_finite<T>(m->data(), m->size())) continue;
            std::size_t at = 0;
            while (std::isfinite(m->data()[at])) ++at;
            const std::size_t i = at / m->cols();
            double largest = 0;
            for (const T x : X.row(i)) {
                const double size = std::abs(double(x));
                largest = size > largest ? size : largest;
            }
            detail::fail("%s: layer %zu's %s is %.9g for sample %zu, whose inputs are finite but as large as %.3g: "
                         "too large for %s arithmetic in this network; scale the inputs (nn::Standardizer)",
                         what, l, m == &ws.z_out_ ? "weighted sum" : "output", double(m->data()[at]), i, largest,
                         sizeof(T) == 4 ? "float" : "double");
        }
    }
    detail::fail("%s: the outputs are not finite", what);
}

template <Real T>
MatrixView<const T> NN<T>::run_forward(MatrixView<const T> X, Workspace<T>& ws) const {
    ws.outputs_.resize(layers());
    detail::with_kernels<T>([&](auto k) { k.forward(passes(), X, ws.outputs_.data(), ws.z_out_); });
    return ws.outputs_.back();
}

#if defined(NN_COMPILED) // compiled once, in the nn::compiled library (see config.hpp)
extern template class NN<float>;
extern template class NN<double>;
#endif

} // namespace nn
