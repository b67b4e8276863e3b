// The compiled mode's library (CMake target nn::compiled): the library's templates for float and
// double, instantiated once here, which every translation unit built with NN_COMPILED declares
// `extern template` instead of compiling itself (see nn/config.hpp).
#include <nn/nn.hpp>

namespace nn {
template class Matrix<float>;
template class Matrix<double>;
template class ParameterMatrix<float>;
template class ParameterMatrix<double>;
template class Parameters<float>;
template class Parameters<double>;
template class Gradient<float>;
template class Gradient<double>;
template class NN<float>;
template class NN<double>;
} // namespace nn

NN_DETAIL_ALL_KERNEL_INSTANCES(template);
