// nn/optimizer.hpp: what nn::train asks of an optimizer, written once: the forms of a step, the
// options an optimizer may declare, and the state a checkpoint keeps of it (OptimizerState).
//
// An optimizer is any copyable object with one of these steps, tried in this order:
//   step(net, X, Y, cost, sum)     the batch itself (nn::LevenbergMarquardt); sum(std::span<double>)
//                                  adds numbers up over the processes of a distributed run
//   step(net, g, cost, cost_at)    the gradient, the cost, and cost_at(net, gradient), the batch's
//                                  cost and gradient at net's parameters (nn::LBFGS's line search)
//   step(net, g)                   the gradient alone (nn::SGD, nn::Adam, nn::IRprop)
// and, where it has them:
//   rate(), set_rate(r)            a learning rate, which TrainOptions.schedule sets
//   static constexpr bool full_batch = true    one batch of every sample, or nn::Error
//   stalled()                      true when it can lower the cost no further: training ends
//   check(net, n)                  nn::Error, before training, when it cannot train net on n samples
//   save(OptimizerState&) const,   its state, for a checkpoint that training can resume from
//   load(const OptimizerState&)    (TrainOptions.checkpoint, .resume); without them a checkpoint
//                                  holds the network and where training was, and cannot be resumed
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/error.hpp>
#include <nn/gradient.hpp>
#include <nn/matrix.hpp>

namespace nn {

template <Real T>
class NN;

/// An optimizer's state in a checkpoint: its kind, its settings and counters as numbers, and its
/// per-parameter arrays (momentum, moments, step sizes), each under a name. An optimizer's save()
/// puts them in, its load() takes them out and throws nn::Error when a setting differs from its
/// own, so that a run resumes only with the optimizer it was saved with.
///     void save(nn::OptimizerState& s) const { s.kind("sgd"); s.number("momentum", momentum_); ... }
///     void load(const nn::OptimizerState& s) { s.expect_kind("sgd"); s.expect("momentum", momentum_); ... }
/// Arrays go in with array(name, values) and come out with read(name, into).
class OptimizerState {
public:
    OptimizerState() = default;
    OptimizerState(const OptimizerState&) = delete; // its arrays may view the optimizer's
    OptimizerState& operator=(const OptimizerState&) = delete;
    OptimizerState(OptimizerState&&) = default;
    OptimizerState& operator=(OptimizerState&&) = default;
    /// An empty state for an optimizer of a network of this arch.
    explicit OptimizerState(std::vector<std::size_t> arch) : arch_(std::move(arch)) {}

    /// The arch of the network the optimizer trains: the shape of its per-parameter arrays.
    const std::vector<std::size_t>& arch() const { return arch_; }

    /// The optimizer's kind ("sgd", "adam", ...), which load() checks first.
    void kind(std::string_view name) { kind_ = name; }
    const std::string& kind() const { return kind_; }
    /// Throws nn::Error unless the state is of this kind.
    void expect_kind(std::string_view name) const {
        if (kind_ != name)
            detail::fail("the checkpoint holds the state of the optimizer '%s', this one is '%.*s'", kind_.c_str(),
                         int(name.size()), name.data());
    }

    /// A number (a setting, a counter): kept exactly.
    void number(std::string_view name, double value) { numbers_.emplace_back(std::string(name), value); }
    bool has_number(std::string_view name) const { return find(numbers_, name) != nullptr; }
    /// The number called `name`; nn::Error when there is none.
    double number(std::string_view name) const {
        const auto* n = find(numbers_, name);
        if (!n) detail::fail("the checkpoint's %s state has no '%.*s'", kind_.c_str(), int(name.size()), name.data());
        return n->second;
    }
    /// Throws nn::Error unless the number `name` is `value` (a setting that must be the same to
    /// resume): "the checkpoint's sgd has momentum 0.9, this one 0.5".
    void expect(std::string_view name, double value) const {
        const double saved = number(name);
        if (!(saved == value) && !(std::isnan(saved) && std::isnan(value)))
            detail::fail("the checkpoint's %s has %.*s %.17g, this one %.17g", kind_.c_str(), int(name.size()),
                         name.data(), saved, value);
    }

    /// An array of values of T (float arrays stay float in the file). The state views it, without
    /// a copy: save() puts the optimizer's own arrays, which the checkpoint reads before the
    /// optimizer changes again.
    template <Real T>
    void array(std::string_view name, std::span<const T> values) {
        arrays_.push_back({std::string(name), sizeof(T) == 4, values.size(), values.data(), {}});
    }
    template <Real T>
    void array(std::string_view name, const std::vector<T>& values) {
        array<T>(name, std::span<const T>(values));
    }
    bool has_array(std::string_view name) const { return find(arrays_, name) != nullptr; }
    /// The size of the array called `name`; nn::Error when there is none.
    std::size_t array_size(std::string_view name) const { return get(name).size; }
    /// Copies the array called `name` into out, whose size must be the array's; nn::Error otherwise.
    template <Real T>
    void read(std::string_view name, std::span<T> out) const {
        const Array& a = get(name);
        if (a.size != out.size())
            detail::fail("the checkpoint's %s state has %zu values in '%.*s', this network needs %zu", kind_.c_str(),
                         a.size, int(name.size()), name.data(), out.size());
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(a.at(i));
    }
    template <Real T>
    void read(std::string_view name, std::vector<T>& out) const {
        out.resize(array_size(name));
        read<T>(name, std::span<T>(out));
    }

    /// Everything put in, in order: for the checkpoint's writer and reader.
    struct Array {
        std::string name;
        bool single = false;        ///< float values (F32 in the file); else double
        std::size_t size = 0;       ///< values
        const void* data = nullptr; ///< the values: the saving optimizer's own, or `owned`
        std::vector<double> owned;  ///< a state read from a file holds its values here
        double at(std::size_t i) const {
            return single ? double(static_cast<const float*>(data)[i]) : static_cast<const double*>(data)[i];
        }
    };
    const std::vector<std::pair<std::string, double>>& numbers() const { return numbers_; }
    const std::vector<Array>& arrays() const { return arrays_; }
    /// An array of values read from a file (held as doubles: exact for float and double).
    void put(std::string name, std::vector<double> values) {
        Array a{std::move(name), false, values.size(), nullptr, std::move(values)};
        a.data = a.owned.data(); // (a vector's elements stay where they are when the vector moves)
        arrays_.push_back(std::move(a));
    }

private:
    template <class V>
    static const V* find(const std::vector<V>& list, std::string_view name) {
        for (const V& v : list)
            if (name_of(v) == name) return &v;
        return nullptr;
    }
    static const std::string& name_of(const std::pair<std::string, double>& n) { return n.first; }
    static const std::string& name_of(const Array& a) { return a.name; }
    const Array& get(std::string_view name) const {
        const Array* a = find(arrays_, name);
        if (!a)
            detail::fail("the checkpoint's %s state has no array '%.*s'", kind_.c_str(), int(name.size()), name.data());
        return *a;
    }

    std::vector<std::size_t> arch_;
    std::string kind_;
    std::vector<std::pair<std::string, double>> numbers_;
    std::vector<Array> arrays_;
};

namespace detail {

/// What LevenbergMarquardt's sum over processes is with one process: nothing to add.
struct NoSum {
    void operator()(std::span<double>) const {}
};

/// An optimizer with a learning rate that a schedule can set.
template <class Optimizer, class T>
concept HasRate = requires(Optimizer& o) {
    T(o.rate());
    o.set_rate(T());
};

/// An optimizer whose state a checkpoint can hold.
template <class Optimizer>
concept SavesState = requires(const Optimizer& o, Optimizer& m, OptimizerState& out, const OptimizerState& in) {
    o.save(out);
    m.load(in);
};

/// True for an optimizer that trains on every sample at once (nn::LBFGS, nn::LevenbergMarquardt).
template <class Optimizer>
constexpr bool full_batch() {
    if constexpr (requires { Optimizer::full_batch; })
        return Optimizer::full_batch;
    else
        return false;
}

/// True when the optimizer says it can lower the cost no further.
template <class Optimizer>
bool stalled(const Optimizer& optimizer) {
    if constexpr (requires { bool(optimizer.stalled()); })
        return optimizer.stalled();
    else
        return false;
}

/// The optimizer's own refusal, before training, of a network or data it cannot train.
template <class Optimizer, Real T>
void check_optimizer(const Optimizer& optimizer, const NN<T>& net, std::size_t samples) {
    if constexpr (requires { optimizer.check(net, samples); }) optimizer.check(net, samples);
}

/// What a step may use besides the gradient and the cost: this process's rows of the batch, the
/// batch's cost and gradient at other parameters, and the sum over the processes.
template <Real T, class CostAt, class Sum>
struct StepBatch {
    MatrixView<const T> X, Y;
    CostAt& cost_at;
    Sum& sum;
};

/// One step of any optimizer, in the first form it has (see the top of this file).
template <Real T, class Optimizer, class Batch>
void take_step(Optimizer& optimizer, NN<T>& net, const Gradient<T>& g, double cost, Batch& batch) {
    if constexpr (requires { optimizer.step(net, batch.X, batch.Y, cost, batch.sum); })
        optimizer.step(net, batch.X, batch.Y, cost, batch.sum);
    else if constexpr (requires { optimizer.step(net, g, cost, batch.cost_at); })
        optimizer.step(net, g, cost, batch.cost_at);
    else
        optimizer.step(net, g);
}

} // namespace detail
} // namespace nn
