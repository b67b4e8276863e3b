// nn/model.hpp: a trained network with what a deployed program needs around it, the scaling of
// its inputs and the names of its classes, saved and loaded as one safetensors file.
//
// The file is the network's (see io.hpp), with three more __metadata__ strings:
//   "input_mean"   "5.84333324432373,3.0573334693908691,..."  the Standardizer's means, one per
//   "input_scale"  "1.2116874456405640,..."     input, and its scales (1 / standard deviation): both
//                                               or neither, each the shortest decimal that reads back
//                                               as the same double (so exact for float and double);
//   "classes"      "[\"setosa\",\"versicolor\",\"virginica\"]"  a JSON array of the class names,
//                                               one per output (two for a network with one output).
// Other programs and nn::load read such a file as a plain network.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nn/data.hpp>
#include <nn/detail/json.hpp>
#include <nn/error.hpp>
#include <nn/io.hpp>
#include <nn/metrics.hpp>
#include <nn/network.hpp>

namespace nn {

/// A network, the Standardizer its inputs were scaled with (if any) and its class names (if any):
/// raw features in, a class name out.
///     nn::save(nn::Model<float>{net, scale, train.classes}, "iris.safetensors");
///     ...
///     const auto model = nn::load_model<float>("iris.safetensors");
///     std::cout << model.classify({5.1f, 3.5f, 1.4f, 0.2f}) << '\n';   // "setosa"
template <Real T>
struct Model {
    NN<T> net;
    std::optional<Standardizer<T>> scaling = {}; // applied to raw inputs before the network
    std::vector<std::string> classes = {};       // output k is class classes[k]; for one output, 0 and 1

    /// Throws nn::Error unless the parts fit together: a scaling of net.inputs() columns, and
    /// either no class names or one per class (net.outputs(), or 2 for a network with one output).
    void check() const {
        if (scaling && scaling->columns() != net.inputs())
            detail::fail("the model's scaling has %zu columns, its network takes %zu inputs", scaling->columns(),
                         net.inputs());
        const std::size_t k = class_count();
        if (!classes.empty() && classes.size() != k)
            detail::fail("the model has %zu class name%s, its network tells %zu classes apart", classes.size(),
                         detail::plural(classes.size()), k);
    }

    /// How many classes the network tells apart: its outputs, or 2 for one output.
    std::size_t class_count() const { return detail::class_count(net.outputs()); }

    /// The network's output for one raw sample (scaled first); safe from many threads at once, and
    /// no allocation after a thread's first call.
    void predict(std::span<const T> raw, std::span<T> output) const { net.predict(scaled(raw), output); }
    std::vector<T> predict(std::span<const T> raw) const { return net.predict(scaled(raw)); }
    std::vector<T> predict(std::initializer_list<T> raw) const {
        return predict(std::span<const T>(raw.begin(), raw.size()));
    }

    /// The class of one raw sample, as NN::predict_class gives it.
    std::size_t predict_class(std::span<const T> raw) const { return net.predict_class(scaled(raw)); }
    std::size_t predict_class(std::initializer_list<T> raw) const {
        return predict_class(std::span<const T>(raw.begin(), raw.size()));
    }

    /// The name of the class of one raw sample; nn::Error for a model without class names.
    const std::string& classify(std::span<const T> raw) const {
        if (classes.empty()) detail::fail("classify needs a model with class names; this one has none");
        return classes[predict_class(raw)];
    }
    const std::string& classify(std::initializer_list<T> raw) const {
        return classify(std::span<const T>(raw.begin(), raw.size()));
    }

private:
    /// raw, scaled into this thread's buffer (raw itself without a scaling).
    std::span<const T> scaled(std::span<const T> raw) const {
        if (!scaling) return raw;
        if (raw.size() != scaling->columns())
            detail::fail("the model was given %zu input%s, it takes %zu", raw.size(), detail::plural(raw.size()),
                         scaling->columns());
        thread_local std::vector<T> buffer;
        buffer.assign(raw.begin(), raw.end());
        scaling->apply(std::span<T>(buffer));
        return buffer;
    }
};

namespace detail {

/// "1.5,-2,0.3333333432674408": numbers as the shortest decimals that read back as the same
/// double, which holds a float exactly: read into a float or a double, each is the value saved.
template <Real T>
std::string join_numbers(const Matrix<T>& row) {
    std::string text;
    char digits[64];
    for (std::size_t c = 0; c < row.size(); ++c) {
        if (c) text += ',';
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, static_cast<double>(row.data()[c]));
        text.append(digits, end);
    }
    return text;
}

/// The numbers of join_numbers, `count` of them, as a 1 x count row; nn::Error naming the key
/// for anything else.
template <Real T>
Matrix<T> parse_numbers(const std::string& text, std::size_t count, const char* file, const char* key) {
    Matrix<T> row(1, count);
    std::size_t c = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    for (;;) {
        T v = 0; // correctly rounded to T: a float saved, read into a float, is itself
        const auto [next, ec] = std::from_chars(p, end, v);
        if (ec != std::errc() || (next != end && *next != ',') || !std::isfinite(v) || c == count)
            fail("%s: the metadata's %s '%.60s' is not %zu finite numbers separated by commas", file, key, text.c_str(),
                 count);
        row(0, c++) = v;
        if (next == end) break;
        p = next + 1;
    }
    if (c != count) fail("%s: the metadata's %s holds %zu numbers, the network takes %zu inputs", file, key, c, count);
    return row;
}

/// ["setosa","versicolor"]: class names as the JSON array a file's metadata holds.
inline std::string join_classes(const std::vector<std::string>& classes) {
    std::string names = "[";
    for (std::size_t k = 0; k < classes.size(); ++k) {
        if (k) names += ',';
        names += json::quote(classes[k]);
    }
    return names + "]";
}

/// The `count` class names of join_classes's text; nn::Error for anything else.
inline std::vector<std::string> parse_classes(const std::string& text, std::size_t count, const char* file) {
    const json::Value list = json::parse(text, file);
    if (list.kind != json::Value::Kind::Array || list.items().size() != count)
        fail("%s: the metadata's classes '%.60s' is not a JSON array of %zu names, one per class", file, text.c_str(),
             count);
    std::vector<std::string> classes;
    for (const json::Value& item : list.items()) {
        if (item.kind != json::Value::Kind::String)
            fail("%s: the metadata's classes '%.60s' holds something other than a name", file, text.c_str());
        classes.push_back(item.text);
    }
    return classes;
}

/// The model's own metadata, for to_safetensors.
template <Real T>
void write_model_metadata(SafetensorsWriter& out, const Model<T>& model) {
    if (model.scaling) {
        out.metadata("input_mean", join_numbers(model.scaling->mean()));
        out.metadata("input_scale", join_numbers(model.scaling->scale()));
    }
    if (!model.classes.empty()) out.metadata("classes", join_classes(model.classes));
}

/// A model from the bytes of a safetensors file: the network, then its scaling and class names.
template <Real T>
Model<T> parse_model(std::string_view bytes, const char* file) {
    std::optional<Standardizer<T>> scaling;
    std::vector<std::string> classes;
    const auto more = [&](const json::Value* metadata, const std::vector<std::size_t>& arch) {
        if (!metadata) return;
        const json::Value* mean = metadata->find("input_mean");
        const json::Value* scale = metadata->find("input_scale");
        if ((mean != nullptr) != (scale != nullptr))
            fail("%s: the metadata holds input_%s but not input_%s; a file holds both, or neither", file,
                 mean ? "mean" : "scale", mean ? "scale" : "mean");
        if (mean) {
            Matrix<T> m = parse_numbers<T>(mean->text, arch.front(), file, "input_mean");
            Matrix<T> s = parse_numbers<T>(scale->text, arch.front(), file, "input_scale");
            for (std::size_t c = 0; c < s.size(); ++c)
                if (!(s.data()[c] > T(0)))
                    fail("%s: the metadata's input_scale holds %.9g at %zu; a scale must be > 0", file,
                         double(s.data()[c]), c);
            scaling.emplace(std::move(m), std::move(s));
        }
        if (const json::Value* names = metadata->find("classes"))
            classes = parse_classes(names->text, class_count(arch.back()), file);
    };
    NN<T> net = parse_safetensors<T>(bytes, file, {}, more);
    return Model<T>{std::move(net), std::move(scaling), std::move(classes)};
}

} // namespace detail

/// Saves a model as nn::save saves a network (atomically; the bytes read back first), with its
/// scaling and class names in the metadata. nn::Error, and the file as it was, when the parts do
/// not fit together (Model::check).
template <Real T>
void save(const Model<T>& model, const std::string& path) {
    model.check();
    const std::string bytes =
        detail::to_safetensors(model.net, [&](detail::SafetensorsWriter& out) { write_model_metadata(out, model); });
    (void)detail::parse_model<T>(bytes, path.c_str()); // what is written, loads
    detail::write_file_atomically(path, bytes);
}

/// Loads a model saved by nn::save: the network, and the scaling and class names when the file
/// holds them (a file of a network alone gives a model without either).
///     const auto model = nn::load_model<float>("iris.safetensors");
template <Real T>
Model<T> load_model(const std::string& path) {
    return detail::parse_model<T>(detail::read_file(path), path.c_str());
}

} // namespace nn
