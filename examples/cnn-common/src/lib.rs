//! What the two CNN examples (`tune-cnn-tch`, `tune-cnn-burn`) share: the offline digit
//! images and their flags ([`images`]), and the summary of a run that both print and write
//! as JSON for `scripts/gpu-check.sh` ([`summary`]).

pub mod images;
pub mod summary;

pub use images::{DataArgs, DataKind, Images, Split};
pub use summary::{EPOCH_SECONDS, RunInfo, RunSummary};
