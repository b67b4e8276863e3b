// nn/history.hpp: what a run of nn::train did, epoch by epoch (EpochStats, History).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace nn {

/// What one epoch came to. Validation figures are NaN when there is no validation data.
struct EpochStats {
    std::size_t epoch = 0; ///< counted from 1
    double train_cost = 0; ///< the mean cost of the epoch's batches, weighted by their size
    double val_cost = std::numeric_limits<double>::quiet_NaN();
    double val_accuracy = std::numeric_limits<double>::quiet_NaN(); ///< NaN too unless Y_val is all 0s and 1s
    /// Wall-clock time from the end of the epoch before (or the start of training) to the end of
    /// this one's validation: its batches and validation, and the epoch before's checkpoint and
    /// on_epoch. The epochs' seconds add up to the run's. When nothing looks at the epochs as they
    /// end (Progress::Quiet, no on_epoch, checkpoint or max_seconds), epochs shorter than about
    /// 10 us are timed a few at a time, each given their mean, and the History has them at the end.
    double seconds = 0;
    /// Why this epoch's checkpoint could not be written (empty when it was, or none was due):
    /// training goes on, and the file holds the last checkpoint that was.
    std::string checkpoint_error = {};
};

/// What nn::train did: one entry per epoch trained (with a resumed run, from the first epoch of
/// the run, as an uninterrupted run would give them).
struct History {
    std::vector<EpochStats> epochs;
    std::size_t best_epoch = 0; ///< the epoch whose parameters the network holds at the end, counted from 1
    bool stopped_early = false; ///< by patience, the time budget, on_epoch, a stalled optimizer or a stop request
    /// Stopped by TrainOptions.stop (Ctrl-C, another thread) between two batches: the network holds
    /// the best or last parameters, the checkpoint where training was, to resume from.
    bool interrupted = false;
};

} // namespace nn
