// The names the documentation's code fragments share: each fragment of README.md and docs/*.md
// (a block after <!-- fragment -->) is compiled inside a function that starts with NN_FRAGMENT
// (tests/CMakeLists.txt writes the files), so that the documentation cannot rot. Compiled, not run.
#pragma once

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <nn/nn.hpp>

#define NN_FRAGMENT                                                                                                    \
    [[maybe_unused]] int argc = 1;                                                                                     \
    [[maybe_unused]] char** argv = nullptr;                                                                            \
    [[maybe_unused]] nn::Matrix<float> X(8, 4), Y(8, 3), X_val(4, 4), Y_val(4, 3);                                     \
    [[maybe_unused]] nn::NN<float> net({4, 8, 3}, nn::Activation::ReLU, nn::Activation::Softmax,                       \
                                       nn::Loss::CrossEntropy);                                                        \
    [[maybe_unused]] nn::Dataset<float> data{X, Y, {"a", "b", "c"}};
