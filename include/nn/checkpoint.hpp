// nn/checkpoint.hpp: a run of nn::train as one value (Run), and that value as one file, from which
// the run resumes to the bits it would have had uninterrupted.
//
// A checkpoint is a safetensors file (detail/safetensors.hpp) that nn::load reads as a network: its
// layers.* tensors hold the network the run would return if it ended there (the best epoch's when
// early stopping keeps one). Besides, under names a network's loader passes over:
//   metadata  checkpoint                 "nn::train 1"
//             train.<what>               what must match to resume: network, options, data, processes
//             run.<what>                 where the run is: epoch, batch, costs, early stopping, time
//             optimizer, optimizer.<n>   the optimizer's kind and numbers (nn::OptimizerState)
//             best.optimizer, ...        the same for the best epoch's optimizer
//   tensors   state.parameters           the parameters training goes on from (when layers.* hold the best)
//             state.optimizer.<array>    the optimizer's arrays, and state.best.optimizer.<array>
//             state.history.<figure>     train_cost, val_cost, val_accuracy, seconds: one per epoch
// Numbers in the metadata are the shortest decimals that read back as the same double (exact).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nn/detail/digest.hpp>
#include <nn/detail/file.hpp>
#include <nn/detail/format.hpp>
#include <nn/detail/safetensors.hpp>
#include <nn/history.hpp>
#include <nn/io.hpp>
#include <nn/network.hpp>
#include <nn/optimizer.hpp>
#include <nn/parameters.hpp>

namespace nn::detail {

/// A network's parameters and an optimizer's state at one moment: what early stopping keeps of the
/// best epoch, and what a failure puts back.
template <Real T, class Optimizer>
struct Snapshot {
    Parameters<T> parameters;
    Optimizer optimizer;

    Snapshot(const NN<T>& net, const Optimizer& o) : parameters(net.parameter_store()), optimizer(o) {}
    /// This moment <- now (no allocation once the shapes are set).
    void take(const NN<T>& net, const Optimizer& o) {
        parameters = net.parameter_store();
        optimizer = o;
    }
    void restore(NN<T>& net, Optimizer& o) const {
        std::copy(parameters.values().begin(), parameters.values().end(), net.parameters().begin());
        o = optimizer;
    }
};

/// Where a run of nn::train is, besides the network's parameters and the optimizer's state: with
/// them, all that going on needs. A checkpoint holds exactly this.
template <Real T, class Optimizer>
struct Run {
    std::size_t epoch = 0; ///< epochs finished
    std::size_t batch = 0; ///< batches of the next epoch finished (a run stopped between two)
    double cost_sum = 0;   ///< their costs, each times its batch's rows
    double seconds = 0;    ///< time trained before this call (for TrainOptions.max_seconds)
    double best_cost = std::numeric_limits<double>::infinity(); ///< the lowest monitored cost so far
    std::size_t waited = 0;                                     ///< epochs since it last fell (early stopping)
    bool finished = false; ///< training ended: every epoch, patience, time, on_epoch or a stalled optimizer
    History history;
    std::optional<Snapshot<T, Optimizer>> best; ///< early stopping's best epoch
};

/// What must be the same for a checkpoint to resume a run, each as text: the network, options
/// that change the run, the data, the processes.
using Identity = std::vector<std::pair<std::string, std::string>>;

/// The optimizer state's numbers and arrays, added to a checkpoint under `prefix`. (This and the
/// next three are templates on nothing, compiled once in the compiled mode: see config.hpp.)
template <class = void>
void write_state(SafetensorsWriter& out, const std::string& prefix, const OptimizerState& state);

/// The optimizer state a checkpoint holds under `prefix` (see write_state).
template <class = void>
OptimizerState read_state(const SafetensorsFile& st, const std::string& prefix, const std::vector<std::size_t>& arch,
                          const char* file);

/// The checksum of a checkpoint: a digest of everything in it but the checksum itself, the
/// metadata in file order, the tensors' entries by name, and the data; any change to a file
/// changes it (or makes it no safetensors file at all). Computed from a writer's parts, and from
/// a file read back.
template <class = void>
std::uint64_t checksum(const std::vector<std::pair<std::string, std::string>>& metadata,
                       std::vector<std::pair<std::string, Tensor>> tensors, std::string_view data);
template <class = void>
std::uint64_t checksum(const SafetensorsFile& st);

/// A checkpoint of this run (see the top of this file), as a file's parts.
template <Real T, class Optimizer>
SafetensorsWriter checkpoint_file(const NN<T>& net, const Optimizer& optimizer, const Run<T, Optimizer>& run,
                                  const Identity& identity) {
    SafetensorsWriter out;
    write_network(out, net);
    out.metadata("checkpoint", "nn::train 1");
    for (const auto& [key, value] : identity) out.metadata("train." + key, value);
    const History& h = run.history;
    const double numbers[] = {double(run.epoch),    double(run.batch),    run.cost_sum,
                              run.seconds,          run.best_cost,        double(run.waited),
                              double(run.finished), double(h.best_epoch), double(h.stopped_early)};
    const char* names[] = {"epoch",  "batch",    "cost_sum",   "seconds",      "best_cost",
                           "waited", "finished", "best_epoch", "stopped_early"};
    for (std::size_t k = 0; k < std::size(names); ++k)
        out.metadata(std::string("run.") + names[k], shortest(numbers[k]));
    // The optimizers' states first (views of their arrays), for the room the data takes in all.
    OptimizerState state(net.arch()), best(net.arch());
    if constexpr (SavesState<Optimizer>) {
        optimizer.save(state);
        if (run.best) run.best->optimizer.save(best);
    }
    std::size_t bytes = (run.best ? 2 : 1) * net.parameter_count() * sizeof(T) + 4 * h.epochs.size() * sizeof(double);
    for (const OptimizerState* s : {&state, &best})
        for (const OptimizerState::Array& a : s->arrays()) bytes += a.size * (a.single ? 4 : 8);
    out.reserve(bytes);
    if constexpr (SavesState<Optimizer>) {
        write_state(out, "optimizer", state);
        if (run.best) write_state(out, "best.optimizer", best);
    }
    const auto figure = [&](const char* name, double EpochStats::*field) {
        out.tensor<double>(std::string("state.history.") + name, {h.epochs.size()},
                           [&](std::size_t e) { return h.epochs[e].*field; });
    };
    figure("train_cost", &EpochStats::train_cost);
    figure("val_cost", &EpochStats::val_cost);
    figure("val_accuracy", &EpochStats::val_accuracy);
    figure("seconds", &EpochStats::seconds);
    if (run.best) out.tensor<T>("state.parameters", net.parameters());
    write_layers(out, run.best ? run.best->parameters : net.parameter_store());
    out.metadata("checksum", format("%016llx", static_cast<unsigned long long>(
                                                   checksum(out.metadata(), out.tensors(), out.data()))));
    return out;
}

/// Writes a checkpoint of this run to `path`, atomically; the error's message, or "" when it was
/// written.
template <Real T, class Optimizer>
std::string write_checkpoint(const std::string& path, const NN<T>& net, const Optimizer& optimizer,
                             const Run<T, Optimizer>& run, const Identity& identity) {
    return error_of([&] {
        const SafetensorsWriter file = checkpoint_file(net, optimizer, run, identity);
        write_file_atomically(path, {file.header(), file.data()}); // the data written where it is
    });
}

/// What a run resumed from a checkpoint must fit: its epochs, batches per epoch and patience.
struct RunShape {
    std::size_t epochs = 0, batches = 0, patience = 0;
};

/// Reads a checkpoint's bytes into net, optimizer and run: every part is read and checked first
/// (the checksum, the identity against this run's, every number in range, every parameter finite,
/// the optimizer's state by its own load), and only then is anything changed. nn::Error, and
/// nothing changed, for a file that is not a whole checkpoint of this run. (`checksum_checked`
/// false: for the fuzzer, which reaches what follows the checksum only so.)
template <Real T, class Optimizer>
void read_checkpoint(std::string_view bytes, const char* file, NN<T>& net, Optimizer& optimizer, Run<T, Optimizer>& run,
                     const Identity& identity, const RunShape& shape, bool checksum_checked = true) {
    const SafetensorsFile st = read_safetensors(bytes, file);
    if (!st.meta("checkpoint"))
        fail("%s: cannot resume from it: it is not a checkpoint of nn::train (no 'checkpoint' in its metadata)", file);
    const std::string* sum = st.meta("checksum");
    if (checksum_checked && (!sum || *sum != format("%016llx", static_cast<unsigned long long>(checksum(st)))))
        fail("%s: cannot resume from it: its checksum does not match its contents (the file was changed or damaged)",
             file);
    for (const auto& [key, value] : identity) {
        const std::string* saved = st.meta("train." + key);
        if (!saved) fail("%s: cannot resume from it: it does not say which %s it was made with", file, key.c_str());
        if (*saved != value)
            fail("%s: cannot resume from it: it was made with %s '%.200s', this run has '%.200s'; resume with the "
                 "same network, options and data, or remove the file to start afresh",
                 file, key.c_str(), saved->c_str(), value.c_str());
    }
    std::vector<std::pair<const Tensor*, const Tensor*>> layer_tensors;
    if (read_layers<T>(st, file, layer_tensors) != net.arch())
        fail("%s: cannot resume from it: its tensors are not shaped for the network it names", file);

    const auto number = [&](const char* name, double low, double high) {
        const std::string key = std::string("run.") + name;
        const std::string* text = st.meta(key);
        double value;
        if (!text) fail("%s: cannot resume from it: it has no %s", file, key.c_str());
        if (!parse_double(*text, value) || !(value >= low && value <= high))
            fail("%s: cannot resume from it: its %s is '%.40s', not a number from %.17g to %.17g", file, key.c_str(),
                 text->c_str(), low, high);
        return value;
    };
    const auto count = [&](const char* name, double high) {
        const double v = number(name, 0, high);
        if (v != double(std::size_t(v)))
            fail("%s: cannot resume from it: its run.%s is not a whole number", file, name);
        return std::size_t(v);
    };
    const double inf = std::numeric_limits<double>::infinity();
    Run<T, Optimizer> saved;
    saved.epoch = count("epoch", double(shape.epochs));
    saved.batch = count("batch", double(shape.batches > 0 ? shape.batches - 1 : 0));
    saved.cost_sum = number("cost_sum", 0, inf);
    saved.seconds = number("seconds", 0, inf);
    saved.best_cost = number("best_cost", -inf, inf);
    saved.waited = count("waited", double(shape.patience));
    saved.finished = count("finished", 1) != 0;
    saved.history.best_epoch = count("best_epoch", double(saved.epoch));
    saved.history.stopped_early = count("stopped_early", 1) != 0;
    if ((saved.finished && saved.batch != 0) || (saved.epoch == shape.epochs && !saved.finished))
        fail("%s: cannot resume from it: its run is at epoch %zu, batch %zu, and %s finished", file, saved.epoch,
             saved.batch, saved.finished ? "yet" : "not");

    saved.history.epochs.resize(saved.epoch);
    const auto figure = [&](const char* name, double EpochStats::*field) {
        const std::string key = std::string("state.history.") + name;
        const Tensor* t = st.find(key);
        if (!t || t->shape.size() != 1 || t->shape[0] != saved.epoch)
            fail("%s: cannot resume from it: its %s must hold one number per epoch trained, %zu", file, key.c_str(),
                 saved.epoch);
        for (std::size_t e = 0; e < saved.epoch; ++e) saved.history.epochs[e].*field = st.element<double>(*t, e);
    };
    figure("train_cost", &EpochStats::train_cost);
    figure("val_cost", &EpochStats::val_cost);
    figure("val_accuracy", &EpochStats::val_accuracy);
    figure("seconds", &EpochStats::seconds);
    for (std::size_t e = 0; e < saved.epoch; ++e) saved.history.epochs[e].epoch = e + 1;

    // The parameters: layers.* are the network to use; training goes on from state.parameters
    // when they differ (the best epoch kept by early stopping).
    Parameters<T> final_parameters(net.arch());
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const Tensor& w = *layer_tensors[l].first;
        ParameterMatrix<T>& W = final_parameters.weights(l);
        for (std::size_t o = 0; o < W.cols(); ++o)
            for (std::size_t i = 0; i < W.rows(); ++i) W(i, o) = st.element<T>(w, o * W.rows() + i);
        for (std::size_t o = 0; o < W.cols(); ++o)
            final_parameters.biases(l)(0, o) = st.element<T>(*layer_tensors[l].second, o);
    }
    const bool has_best = st.find("state.parameters") != nullptr;
    if (has_best != (shape.patience > 0 && saved.history.best_epoch > 0))
        fail("%s: cannot resume from it: its early-stopping state does not fit the patience (%zu) and its best "
             "epoch (%zu)",
             file, shape.patience, saved.history.best_epoch);
    Parameters<T> current = final_parameters;
    if (has_best) {
        const Tensor& t = *st.find("state.parameters");
        if (t.shape.size() != 1 || t.shape[0] != current.size())
            fail("%s: cannot resume from it: its state.parameters must hold the network's %zu parameters", file,
                 current.size());
        for (std::size_t i = 0; i < current.size(); ++i) current.values()[i] = st.element<T>(t, i);
    }
    for (const Parameters<T>* p : {&final_parameters, &current})
        if (!all_finite<T>(p->values().data(), p->size()))
            fail("%s: cannot resume from it: its parameters are not all finite", file);

    // The optimizer's state, loaded into copies: a state the optimizer refuses changes nothing.
    Optimizer resumed = optimizer;
    if constexpr (SavesState<Optimizer>) {
        const auto load = [&](Optimizer& into, const char* prefix) {
            const OptimizerState state = read_state(st, prefix, net.arch(), file);
            try {
                into.load(state);
            } catch (const Error& e) {
                fail("%s: cannot resume from it: %s", file, e.what());
            }
        };
        load(resumed, "optimizer");
        if (has_best) {
            Optimizer best = optimizer;
            load(best, "best.optimizer");
            saved.best.emplace(net, best);
            saved.best->parameters = final_parameters;
        }
    }

    // Everything read: now the run takes it.
    std::copy(current.values().begin(), current.values().end(), net.parameters().begin());
    optimizer = std::move(resumed);
    run = std::move(saved);
}

} // namespace nn::detail

#if NN_DETAIL_DEFINITIONS
namespace nn::detail {

template <class>
void write_state(SafetensorsWriter& out, const std::string& prefix, const OptimizerState& state) {
    out.metadata(prefix, state.kind());
    for (const auto& [name, value] : state.numbers()) out.metadata(prefix + "." + name, shortest(value));
    for (const OptimizerState::Array& a : state.arrays()) {
        if (a.single)
            out.tensor<float>("state." + prefix + "." + a.name, {a.size},
                              [&](std::size_t i) { return float(a.at(i)); });
        else
            out.tensor<double>("state." + prefix + "." + a.name, {a.size}, [&](std::size_t i) { return a.at(i); });
    }
}

template <class>
OptimizerState read_state(const SafetensorsFile& st, const std::string& prefix, const std::vector<std::size_t>& arch,
                          const char* file) {
    OptimizerState state(arch);
    const std::string* kind = st.meta(prefix);
    if (!kind) fail("%s: cannot resume from it: it holds no optimizer state ('%s')", file, prefix.c_str());
    state.kind(*kind);
    for (std::size_t k = 0; k < st.metadata->keys().size(); ++k) {
        const std::string& key = st.metadata->keys()[k];
        if (key.size() <= prefix.size() + 1 || key.compare(0, prefix.size() + 1, prefix + ".") != 0) continue;
        double value;
        if (!parse_double(st.metadata->items()[k].text, value))
            fail("%s: cannot resume from it: its %.60s '%.40s' is not a number", file, key.c_str(),
                 st.metadata->items()[k].text.c_str());
        state.number(std::string_view(key).substr(prefix.size() + 1), value);
    }
    const std::string tensors = "state." + prefix + ".";
    for (const auto& [name, t] : st.tensors) {
        if (name.compare(0, tensors.size(), tensors) != 0) continue;
        if (t.shape.size() != 1)
            fail("%s: cannot resume from it: its tensor '%.60s' is not a vector", file, name.c_str());
        std::vector<double> values(std::size_t(t.shape[0]));
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = st.element<double>(t, i);
        state.put(name.substr(tensors.size()), std::move(values));
    }
    return state;
}

template <class>
std::uint64_t checksum(const std::vector<std::pair<std::string, std::string>>& metadata,
                       std::vector<std::pair<std::string, Tensor>> tensors, std::string_view data) {
    std::uint64_t h = 0xcbf29ce484222325u;
    const auto text = [&](const std::string& s) {
        const std::uint64_t size = s.size();
        h = digest(s.data(), s.size(), digest(&size, sizeof size, h));
    };
    for (const auto& [key, value] : metadata)
        if (key != "checksum") {
            text(key);
            text(value);
        }
    std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, t] : tensors) {
        text(name);
        text(t.dtype);
        std::vector<std::uint64_t> numbers(t.shape);
        numbers.insert(numbers.end(), {t.shape.size(), t.begin, t.end});
        h = digest(numbers.data(), numbers.size() * sizeof(std::uint64_t), h);
    }
    const std::uint64_t size = data.size();
    return digest(data.data(), data.size(), digest(&size, sizeof size, h));
}
template <class>
std::uint64_t checksum(const SafetensorsFile& st) {
    std::vector<std::pair<std::string, std::string>> metadata;
    for (std::size_t k = 0; st.metadata && k < st.metadata->keys().size(); ++k)
        metadata.emplace_back(st.metadata->keys()[k], st.metadata->items()[k].text);
    return checksum(metadata, st.tensors, st.data);
}

} // namespace nn::detail
#endif // NN_DETAIL_DEFINITIONS

NN_DETAIL_OUT_OF_LINE(void nn::detail::write_state<void>(nn::detail::SafetensorsWriter&, const std::string&,
                                                         const nn::OptimizerState&));
NN_DETAIL_OUT_OF_LINE(nn::OptimizerState nn::detail::read_state<void>(const nn::detail::SafetensorsFile&,
                                                                      const std::string&,
                                                                      const std::vector<std::size_t>&, const char*));
NN_DETAIL_OUT_OF_LINE(std::uint64_t nn::detail::checksum<void>(const std::vector<std::pair<std::string, std::string>>&,
                                                               std::vector<std::pair<std::string, nn::detail::Tensor>>,
                                                               std::string_view));
NN_DETAIL_OUT_OF_LINE(std::uint64_t nn::detail::checksum<void>(const nn::detail::SafetensorsFile&));
