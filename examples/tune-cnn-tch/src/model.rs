//! The CNN, as in the Burn example: two conv / batch-norm / ReLU / max-pool blocks,
//! adaptive average pooling to 2x2, dropout, a linear head over 10 classes.

use tch::nn;

/// The CNN with `channels` in the first block, twice as many in the second, on the
/// `VarStore` of `p`.
pub(crate) fn cnn(p: &nn::Path, channels: i64, dropout: f64) -> nn::SequentialT {
    let conv = nn::ConvConfig { padding: 1, ..Default::default() };
    nn::seq_t()
        .add(nn::conv2d(p / "conv1", 1, channels, 3, conv))
        .add(nn::batch_norm2d(p / "norm1", channels, Default::default()))
        .add_fn(|x| x.relu().max_pool2d_default(2))
        .add(nn::conv2d(p / "conv2", channels, 2 * channels, 3, conv))
        .add(nn::batch_norm2d(p / "norm2", 2 * channels, Default::default()))
        .add_fn(|x| x.relu().max_pool2d_default(2).adaptive_avg_pool2d([2, 2]).flatten(1, -1))
        .add_fn_t(move |x, train| x.dropout(dropout, train))
        .add(nn::linear(p / "head", 2 * channels * 4, 10, Default::default()))
}
