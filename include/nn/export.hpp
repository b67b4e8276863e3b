// nn/export.hpp: a trained network as one self-contained C99 header, for programs without this
// library, a filesystem or C++: microcontrollers, C code bases, other languages' FFI.
//
// The header holds the weights as static const arrays, written as hexadecimal floating literals
// (exact), and one function, <name>_predict(const float* in, float* out) (double for an
// NN<double>), which computes what NN::forward computes, in the same order: each z a sum over
// the inputs in order, then the bias, then the activation, with <math.h>'s exp and tanh. The
// sums of a layer run side by side, input after input, so that a C compiler can vectorise them. It
// compiles with gcc -std=c99 -Wall -Wextra -Werror -pedantic and allocates nothing.
#pragma once

#include <string>
#include <string_view>

#include <nn/activation.hpp>
#include <nn/config.hpp>
#include <nn/detail/file.hpp>
#include <nn/detail/format.hpp>
#include <nn/error.hpp>
#include <nn/network.hpp>

namespace nn {

namespace detail {

/// The C spelling of T: its type, the suffix of its literals and of <math.h>'s functions.
template <Real T>
struct CType {
    static constexpr const char* type = sizeof(T) == sizeof(float) ? "float" : "double";
    static constexpr const char* suffix = sizeof(T) == sizeof(float) ? "f" : "";
};

/// x as an exact C literal of T: hexadecimal, with T's suffix.
template <Real T>
std::string c_literal(T x) {
    return format("%a%s", double(x), CType<T>::suffix); // (not printf: a locale could write 0x1,8p+0)
}

/// The C expression of act applied to the variable z.
template <Real T>
std::string c_activation(Activation act) {
    const std::string s = CType<T>::suffix, one = "1.0" + s;
    switch (act) {
    case Activation::Sigmoid: return one + " / (" + one + " + exp" + s + "(-z))";
    case Activation::Tanh: return "tanh" + s + "(z)";
    case Activation::ReLU: return "z > 0 ? z : 0";
    case Activation::LeakyReLU: return "z > 0 ? z : " + c_literal(T(leaky_relu_slope)) + " * z";
    case Activation::Linear:
    case Activation::Softmax: return "z"; // softmax: over the whole row, after the layer
    }
    return "z";
}

inline bool is_c_identifier(std::string_view name) {
    auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (name.empty() || !letter(name[0])) return false;
    for (char c : name)
        if (!letter(c) && !(c >= '0' && c <= '9')) return false;
    return true;
}

} // namespace detail

/// The text of a C99 header that computes `net`'s forward pass for one sample, as
/// <name>_predict(in, out); `name` must be a C identifier. nn::Error for another name or for
/// parameters that are not finite.
///     std::string header = nn::to_c(net, "xor_net");
template <Real T>
std::string to_c(const NN<T>& net, const std::string& name) {
    if (!detail::is_c_identifier(name))
        detail::fail("to_c needs a C identifier as the name (letters, digits and _, not first a digit), was given "
                     "'%.60s'",
                     name.c_str());
    if (!net.parameters_finite()) detail::fail("to_c: the network's parameters are not all finite");
    const std::string type = detail::CType<T>::type, s = detail::CType<T>::suffix;
    const auto num = [](std::size_t n) { return std::to_string(n); };
    const auto hidden = [](std::size_t l) { // a(l), the output of hidden layer l (not "a" + n: GCC 12 bug 105651)
        std::string a = "a";
        return a += std::to_string(l);
    };
    std::string guard;
    for (char c : name) guard += (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
    guard += "_NN_H";

    std::string arch = num(net.inputs()) + " inputs";
    for (std::size_t l = 0; l < net.layers(); ++l)
        arch += " -> " + num(net.arch()[l + 1]) + " (" + nn::name(net.activation(l)) + ")";
    std::string c = "/* " + name + ": a network trained with nn " + std::to_string(NN_VERSION_MAJOR) + "." +
                    std::to_string(NN_VERSION_MINOR) + "." + std::to_string(NN_VERSION_PATCH) +
                    ", as C99 with <math.h> alone.\n * " + arch + "; " + num(net.parameter_count()) + " parameters, " +
                    type + ".\n *     " + type + " in[" + num(net.inputs()) + "], out[" + num(net.outputs()) +
                    "];\n *     " + name + "_predict(in, out);\n */\n#ifndef " + guard + "\n#define " + guard +
                    "\n\n#include <math.h>\n";
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const std::size_t in = net.arch()[l], out = net.arch()[l + 1];
        c += "\n/* layer " + num(l) + ": " + num(in) + " -> " + num(out) + ", " + nn::name(net.activation(l)) +
             "; the weight of input i to output o at [i * " + num(out) + " + o] */\n";
        const auto array = [&](const char* what, const ParameterMatrix<T>& values) {
            c += "static const " + type + " " + name + "_" + what + num(l) + "[" + num(values.size()) + "] = {";
            for (std::size_t k = 0; k < values.size(); ++k) {
                c += k % 6 == 0 ? "\n    " : " ";
                c += detail::c_literal(values.data()[k]) + (k + 1 < values.size() ? "," : "");
            }
            c += "\n};\n";
        };
        array("w", net.weights(l));
        array("b", net.biases(l));
    }
    c += "\nstatic inline void " + name + "_predict(const " + type + "* in, " + type + "* out) {\n";
    for (std::size_t l = 0; l + 1 < net.layers(); ++l)
        c += "    " + type + " " + hidden(l) + "[" + num(net.arch()[l + 1]) + "];\n";
    c += "    int i, o;\n";
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const std::size_t in = net.arch()[l], out = net.arch()[l + 1];
        const std::string x = l == 0 ? "in" : hidden(l - 1), y = l + 1 == net.layers() ? "out" : hidden(l);
        const std::string w = name + "_w" + num(l), b = name + "_b" + num(l);
        // Input after input, every output at once: independent sums (which a C compiler can put in
        // vectors), each in the order forward adds it.
        c += "    for (o = 0; o < " + num(out) + "; ++o) " + y + "[o] = 0;\n    for (i = 0; i < " + num(in) +
             "; ++i)\n        for (o = 0; o < " + num(out) + "; ++o) " + y + "[o] += " + x + "[i] * " + w + "[i * " +
             num(out) + " + o];\n    for (o = 0; o < " + num(out) + "; ++o) {\n        const " + type + " z = " + y +
             "[o] + " + b + "[o];\n        " + y + "[o] = " + detail::c_activation<T>(net.activation(l)) + ";\n    }\n";
        if (net.activation(l) == Activation::Softmax)
            c += "    {\n        " + type + " top = " + y + "[0], sum = 0;\n        for (o = 1; o < " + num(out) +
                 "; ++o) top = " + y + "[o] > top ? " + y + "[o] : top;\n        for (o = 0; o < " + num(out) +
                 "; ++o) sum += " + y + "[o] = exp" + s + "(" + y + "[o] - top);\n        for (o = 0; o < " + num(out) +
                 "; ++o) " + y + "[o] /= sum;\n    }\n";
    }
    c += "}\n\n#endif /* " + guard + " */\n";
    return c;
}

/// Writes to_c(net, name) to `path`, atomically (as nn::save does).
///     nn::export_c(net, "xor_net.h", "xor_net");
template <Real T>
void export_c(const NN<T>& net, const std::string& path, const std::string& name) {
    detail::write_file_atomically(path, to_c(net, name));
}

} // namespace nn
