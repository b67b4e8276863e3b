// nn::to_c and nn::export_c: the header compiles as strict C99 (NN_C_COMPILER, -Werror -pedantic),
// and the compiled C gives forward's outputs, on every activation, in float and in double.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.hpp"
#include <nn/export.hpp>

namespace {

// The exported C's outputs on 32 random samples in [-2, 2] (X), compiled and run as a program.
template <class T>
std::vector<double> c_outputs(const nn::NN<T>& net, const nn::Matrix<T>& X, const test::Folder& folder,
                              const std::string& name) {
    nn::export_c(net, folder.file(name + ".h"), name);
    const bool single = sizeof(T) == sizeof(float);
    const std::string type = single ? "float" : "double", in = std::to_string(net.inputs()),
                      out = std::to_string(net.outputs());
    test::write_bytes(folder.file(name + "_main.c"),
                      "#include <stdio.h>\n#include \"" + name + ".h\"\nint main(void) {\n    " + type + " in[" + in +
                          "], out[" + out + "];\n    int i;\n    for (;;) {\n        for (i = 0; i < " + in +
                          "; ++i)\n            if (scanf(\"" + (single ? "%a" : "%la") +
                          "\", &in[i]) != 1) return 0;\n        " + name +
                          "_predict(in, out);\n        for (i = 0; i < " + out +
                          "; ++i) printf(\"%a\\n\", (double)out[i]);\n    }\n}\n");
    const std::string program = folder.file(name + "_main");
    const std::string compile = std::string(NN_C_COMPILER) +
                                " -std=c99 -Wall -Wextra -Werror -pedantic -O2 " NN_C_CONTRACT " " +
                                folder.file(name + "_main.c") + " -o " + program + " -lm";
    REQUIRE_MESSAGE(std::system(compile.c_str()) == 0, compile);

    std::string inputs;
    char number[64];
    for (T x : X) {
        std::snprintf(number, sizeof number, "%a\n", double(x));
        inputs += number;
    }
    test::write_bytes(folder.file(name + "_in.txt"), inputs);
    const std::string run =
        NN_TEST_RUN + program + " < " + folder.file(name + "_in.txt") + " > " + folder.file(name + "_out.txt");
    REQUIRE(std::system(run.c_str()) == 0);
    std::istringstream lines(test::read_bytes(folder.file(name + "_out.txt")));
    std::vector<double> outputs;
    for (std::string line; std::getline(lines, line);) outputs.push_back(std::strtod(line.c_str(), nullptr));
    CHECK(outputs.size() == X.rows() * net.outputs());
    return outputs;
}

} // namespace

TEST_CASE_TEMPLATE("the exported C header compiles as C99 and gives forward's outputs", T, float, double) {
    test::Folder folder;
    const double tolerance = sizeof(T) == sizeof(float) ? 1e-6 : 1e-14;
    int k = 0;
    for (const nn::NN<T>& net : test::deploy_networks<T>()) {
        const std::string name = "net" + std::to_string(k++);
        CAPTURE(name);
        nn::Rng rng(11);
        const nn::Matrix<T> X = test::random_matrix<T>(rng, 32, net.inputs(), T(-2), T(2));
        const test::Differences d = test::differences(net, X, c_outputs(net, X, folder, name));
        MESSAGE(name, ": C - forward ", d.other_forward, ", C - exact ", d.other_exact, ", forward - exact ",
                d.forward_exact);
        CHECK(test::as_good_as_forward(d, tolerance));
    }
}

TEST_CASE("to_c: the header's text, and what it refuses") {
    nn::NN<float> net({2, 2, 1});
    net.weights(0) = nn::Matrix<float>{{0.5f, -1.0f}, {0.25f, 0.75f}};
    const std::string c = nn::to_c(net, "xor_net");
    CHECK(c.find("#ifndef XOR_NET_NN_H") != std::string::npos);
    CHECK(c.find("static const float xor_net_w0[4] = {\n    0x1p-1f, -0x1p+0f, 0x1p-2f, 0x1.8p-1f\n};") !=
          std::string::npos);
    CHECK(c.find("static inline void xor_net_predict(const float* in, float* out) {") != std::string::npos);
    CHECK(c.find("#include <stdint.h>\n#include <string.h>\n") != std::string::npos); // these alone:
    CHECK(c.find("#include <math.h>") == std::string::npos);                          // the library's exp
    CHECK(c.find("#include <stdio.h>") == std::string::npos);
    CHECK(c.find("static inline float xor_net_sigmoid(float z)") != std::string::npos);
    CHECK(c.find("xor_net_tanh") == std::string::npos); // only the functions the network uses
    CHECK_THROWS_WITH_AS(nn::to_c(net, "2fast"),
                         "to_c needs a C identifier as the name (letters, digits and _, not first a digit), was given "
                         "'2fast'",
                         nn::Error);
    CHECK_THROWS_AS(nn::to_c(net, "has space"), nn::Error);
    CHECK_THROWS_AS(nn::to_c(net, ""), nn::Error);
    net.weights(1)(0, 0) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(nn::to_c(net, "bad"), "to_c: the network's parameters are not all finite", nn::Error);
}

TEST_CASE_TEMPLATE("the exported C's sigmoid and tanh are the library's, bit for bit", T, float, double) {
    // A layer of one weight 1 and no bias: the C computes act(x) for each input x, which the
    // library's scalar nn::activate must match exactly (x * 1 + 0 is x; both fuse the same
    // multiply-adds: none on x86-64's baseline, every one GCC contracts on aarch64, where the C is
    // compiled with -ffp-contract=fast as GCC compiles C++ by default: NN_C_CONTRACT).
    const test::Folder folder;
    nn::Rng rng(21);
    nn::Matrix<T> X(600, 1);
    for (T& x : X) x = rng.uniform(T(-30), T(30));
    const T specials[] = {0,     -T(0),  T(1e-30), T(-1e-30), T(0.125), T(-0.7),
                          T(20), T(-20), T(88),    T(-88),    T(700),   T(-700)};
    for (std::size_t k = 0; k < std::size(specials); ++k) X(k, 0) = specials[k];
    for (const nn::Activation act : {nn::Activation::Sigmoid, nn::Activation::Tanh}) {
        CAPTURE(std::string(nn::name(act)));
        nn::NN<T> net({1, 1}, act, act, nn::Loss::MSE, {.scheme = nn::Init::Zero});
        net.weights(0)(0, 0) = T(1);
        const std::vector<double> c = c_outputs(net, X, folder, std::string("unit_") + nn::name(act));
        REQUIRE(c.size() == X.rows());
        std::size_t same = 0;
        for (std::size_t i = 0; i < X.rows(); ++i) same += T(c[i]) == nn::activate(act, X(i, 0));
        CHECK(same == X.rows());
    }
}
