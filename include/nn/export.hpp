// nn/export.hpp: a trained network as one self-contained C99 header, for programs without this
// library, a filesystem or C++: microcontrollers, C code bases, other languages' FFI.
//
// The header holds the weights as static const arrays, written as hexadecimal floating literals
// (exact), and one function, <name>_predict(const float* in, float* out) (double for an
// NN<double>), which computes what NN::forward computes, in the same order: each z a sum over
// the inputs in order, then the bias, then the activation, with the library's own exponential and
// tanh (detail::exp_lanes, tanh_lanes: the same steps, scalar), faster than libm's and with
// predict's bits where the C compiler fuses no multiply-add the library does not. The sums of a
// layer run side by side, input after input, so that a C compiler can vectorise them. It needs
// <stdint.h> and <string.h> alone, compiles with gcc -std=c99 -Wall -Wextra -Werror -pedantic and
// allocates nothing.
#pragma once

#include <cstdint>
#include <limits>
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

/// The C spelling of T: its type, the suffix of its literals, the integers of its size.
template <Real T>
struct CType {
    static constexpr const char* type = sizeof(T) == sizeof(float) ? "float" : "double";
    static constexpr const char* suffix = sizeof(T) == sizeof(float) ? "f" : "";
    static constexpr const char* integer = sizeof(T) == sizeof(float) ? "int32_t" : "int64_t";
    static constexpr const char* bits = sizeof(T) == sizeof(float) ? "uint32_t" : "uint64_t";
};

/// x as an exact C literal of T: hexadecimal, with T's suffix.
template <Real T>
std::string c_literal(T x) {
    return format("%a%s", double(x), CType<T>::suffix); // (not printf: a locale could write 0x1,8p+0)
}

/// The C functions <name>_exp, <name>_sigmoid and <name>_tanh: the library's exp_lanes,
/// sigmoid_lanes and tanh_lanes (activation.hpp), step for step, on one number. Each constant is
/// the library's, as an exact hexadecimal literal.
template <Real T>
std::string c_functions(const std::string& name, bool exp, bool sigmoid, bool tanh) {
    using C = CType<T>;
    constexpr bool single = sizeof(T) == 4;
    constexpr int mantissa = std::numeric_limits<T>::digits - 1;
    const std::string t = C::type, i = C::integer, u = C::bits, n = name;
    const auto lit = [](double x) { return c_literal(T(x)); };
    const std::string sign_bit = single ? "0x80000000u" : "0x8000000000000000u";
    const std::string bias = single ? "127" : "1023", shift = std::to_string(mantissa);
    // x = n ln 2 + r, x becoming r; t holds n in its low bits (see detail::reduce_ln2).
    const std::string reduce = "    t = x * " + lit(1.4426950408889634) +
                               " + magic;\n    r = t - magic;\n    x = (x - r * " +
                               lit(single ? 0.693145751953125 : 0.6931471803691238) + ") - r * " +
                               lit(single ? 1.428606765330187e-06 : 1.9082149292705877e-10) + ";\n";
    const auto taylor = [&](bool expm1) { // p = 1 + x E(x), E by Estrin's scheme (see detail::taylor_exp)
        const std::size_t degree = expm1 ? taylor_degree<T, true> : taylor_degree<T, false>;
        // (Each piece appended on its own: GCC 12 warns falsely on "(" + std::string, bug 105651.)
        const auto estrin = [&](const auto& self, std::size_t first, std::size_t count) -> std::string {
            if (count == 1) return lit(inverse_factorials[first + (expm1 ? 1 : 0)]);
            const std::size_t half = estrin_half(count);
            std::string sum = "(";
            sum += self(self, first, half);
            sum += " + ";
            sum += self(self, first + half, count - half);
            sum += " * x";
            if (half != 1) sum += std::to_string(half);
            sum += ')';
            return sum;
        };
        std::string p;
        for (std::size_t power = 2; power <= estrin_half(degree); power *= 2) {
            p += "    x";
            p += std::to_string(power);
            if (power == 2)
                p += " = x * x;\n";
            else {
                const std::string root = std::to_string(power / 2);
                p += " = x";
                p += root;
                p += " * x";
                p += root;
                p += ";\n";
            }
        }
        return p + "    p = " + estrin(estrin, 1, degree) + ";\n    p = " + lit(1) + " + x * p;\n";
    };
    std::string powers; // x2, x4, ...: the powers of r Estrin's scheme multiplies by
    for (std::size_t power = 2; power <= estrin_half(taylor_degree<T, false>); power *= 2)
        powers += ", x" + std::to_string(power);
    const std::string head = "    const " + t + " magic = " + lit(1.5 * double(std::int64_t(1) << mantissa)) +
                             ";\n    " + t + " t, r, p, s1, s2" + powers + ";\n    " + i + " k, m;\n    " + u + " b;\n";
    const auto scale = [&](const std::string& exponent, const std::string& into) { // into = 2^exponent
        return "    b = (" + u + ")(" + exponent + " + " + bias + ") << " + shift + ";\n    memcpy(&" + into +
               ", &b, sizeof b);\n";
    };
    std::string c;
    if (exp || sigmoid)
        c += "\n/* e^x as nn computes it: x = n ln 2 + r, e^r by its Taylor polynomial (Estrin's scheme), times 2^n in "
             "two halves. */\n"
             "static inline " +
             t + " " + n + "_exp(" + t + " x) {\n" + head + "    if (x > " + lit(single ? 89 : 710) +
             ") x = " + lit(single ? 89 : 710) + ";\n    if (x < " + lit(single ? -104 : -746) +
             ") x = " + lit(single ? -104 : -746) + ";\n" + reduce + taylor(false) +
             "    memcpy(&k, &t, sizeof k);\n    memcpy(&m, &magic, sizeof m);\n    k -= m;\n    m = k >> 1;\n" +
             scale("m", "s1") + scale("k - m", "s2") + "    return p * s1 * s2;\n}\n";
    if (sigmoid)
        c += "\n/* 1 / (1 + e^-z), from e^-|z| alone, which cannot overflow. */\nstatic inline " + t + " " + n +
             "_sigmoid(" + t + " z) {\n    const " + t + " e = " + n + "_exp(z < 0 ? z : -z), s = " + lit(1) + " / (" +
             lit(1) + " + e);\n    return z >= 0 ? s : e * s;\n}\n";
    if (tanh)
        c += "\n/* tanh z = sign(z) (-m / (2 + m)), m = e^(-2|z|) - 1 from the Taylor polynomial of e^r - 1. */\n"
             "static inline " +
             t + " " + n + "_tanh(" + t + " z) {\n" + head + "    " + u + " sign;\n    " + t +
             " x;\n    memcpy(&b, &z, sizeof b);\n    sign = b & " + sign_bit +
             ";\n    b ^= sign;\n"
             "    memcpy(&x, &b, sizeof b);\n    x = " +
             lit(-2) + " * x;\n    if (x < " + lit(-40) + ") x = " + lit(-40) + ";\n" + reduce + taylor(true) +
             "    memcpy(&k, &t, sizeof k);\n    memcpy(&m, &magic, sizeof m);\n" + scale("k - m", "s1") +
             "    s2 = p * x * s1 + (s1 - " + lit(1) + ");\n    s2 = -s2 / (" + lit(2) +
             " + s2);\n    memcpy(&b, &s2, sizeof b);\n    b = (b & ~" + sign_bit +
             ") | sign;\n    memcpy(&s2, &b, sizeof b);\n    return s2;\n}\n";
    return c;
}

/// The C expression of act applied to the variable z (name: the network's, for its functions).
template <Real T>
std::string c_activation(Activation act, const std::string& name) {
    switch (act) {
    case Activation::Sigmoid: return name + "_sigmoid(z)";
    case Activation::Tanh: return name + "_tanh(z)";
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
                    ", as C99 with <stdint.h> and <string.h> alone.\n * " + arch + "; " + num(net.parameter_count()) +
                    " parameters, " + type + ".\n *     " + type + " in[" + num(net.inputs()) + "], out[" +
                    num(net.outputs()) + "];\n *     " + name + "_predict(in, out);\n */\n#ifndef " + guard +
                    "\n#define " + guard + "\n\n#include <stdint.h>\n#include <string.h>\n";
    bool exp = false, sigmoid = false, tanh = false;
    for (const Activation a : net.activations()) {
        exp = exp || a == Activation::Softmax;
        sigmoid = sigmoid || a == Activation::Sigmoid;
        tanh = tanh || a == Activation::Tanh;
    }
    c += detail::c_functions<T>(name, exp, sigmoid, tanh);
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
             "[o] + " + b + "[o];\n        " + y + "[o] = " + detail::c_activation<T>(net.activation(l), name) +
             ";\n    }\n";
        if (net.activation(l) == Activation::Softmax)
            c += "    {\n        " + type + " top = " + y + "[0], sum = 0;\n        for (o = 1; o < " + num(out) +
                 "; ++o) top = " + y + "[o] > top ? " + y + "[o] : top;\n        for (o = 0; o < " + num(out) +
                 "; ++o) sum += " + y + "[o] = " + name + "_exp(" + y + "[o] - top);\n        for (o = 0; o < " +
                 num(out) + "; ++o) " + y + "[o] /= sum;\n    }\n";
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
