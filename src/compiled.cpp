// The compiled mode's library (CMake target nn::compiled): the library's templates for float and
// double, instantiated once here, which every translation unit built with NN_COMPILED declares
// `extern template` instead of compiling itself (see NN_IMPLEMENTATION in nn/config.hpp). Any
// program can do the same in a file of its own, without this library.
#define NN_IMPLEMENTATION
#include <nn/nn.hpp>
