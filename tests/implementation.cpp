// The compiled mode without nn::compiled, as single-file libraries do it: this file defines
// NN_IMPLEMENTATION and so compiles the library's float and double code once; the program's
// other files (here tests/cmake/consumer.cpp) are built with NN_COMPILED and only declare it.
#define NN_IMPLEMENTATION
#include <nn/nn.hpp>
