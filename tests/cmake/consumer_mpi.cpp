// A program of a project that uses nn/mpi.hpp through the installed package (built, not run:
// running needs mpirun).
#include <nn/mpi.hpp>
#include <nn/nn.hpp>

int main(int argc, char** argv) {
    nn::mpi::Session mpi(argc, argv);
    const nn::mpi::Communicator comm;
    nn::NN<double> net({2, 3, 1});
    const nn::Matrix<double> X{{0, 1}, {1, 0}};
    const nn::Matrix<double> Y{{1}, {1}};
    const auto [first, count] = nn::mpi::shard(X.rows(), comm);
    nn::SGD<double> sgd(0.5);
    const auto history = nn::mpi::train(comm, net, X.rows(first, count), Y.rows(first, count), sgd,
                                        {.epochs = 2, .progress = nn::Progress::Quiet});
    return history.epochs.back().train_cost < history.epochs.front().train_cost ? 0 : 1;
}
