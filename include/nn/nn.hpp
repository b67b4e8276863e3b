// nn/nn.hpp: the whole library. Include this and use namespace nn.
#pragma once

#include <nn/activation.hpp>
#include <nn/checkpoint.hpp>
#include <nn/config.hpp>
#include <nn/csv.hpp>
#include <nn/data.hpp>
#include <nn/error.hpp>
#include <nn/export.hpp>
#include <nn/gradient.hpp>
#include <nn/history.hpp>
#include <nn/io.hpp>
#include <nn/lbfgs.hpp>
#include <nn/levenberg_marquardt.hpp>
#include <nn/loss.hpp>
#include <nn/matrix.hpp>
#include <nn/metrics.hpp>
#include <nn/model.hpp>
#include <nn/network.hpp>
#include <nn/onnx.hpp>
#include <nn/optim.hpp>
#include <nn/optimizer.hpp>
#include <nn/parameters.hpp>
#include <nn/picture.hpp>
#include <nn/predictor.hpp>
#include <nn/rng.hpp>
#include <nn/schedule.hpp>
#include <nn/static_file.hpp>
#include <nn/static_network.hpp>
#include <nn/stop.hpp>
#include <nn/train.hpp>

// The compiled mode's one definition of the float and double templates (see NN_IMPLEMENTATION in
// config.hpp), in the one file that defines NN_IMPLEMENTATION.
#if defined(NN_IMPLEMENTATION)
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
#endif
