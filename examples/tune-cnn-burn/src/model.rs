//! The CNN: two conv / batch-norm / ReLU / max-pool blocks, adaptive pooling to 2x2,
//! dropout, a linear head over 10 classes.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};

use crate::data::ImageBatch;

/// The CNN; `channels` in the first block, twice as many in the second.
#[derive(Module, Debug)]
pub(crate) struct Cnn<B: Backend> {
    conv1: Conv2d<B>,
    norm1: BatchNorm<B>,
    conv2: Conv2d<B>,
    norm2: BatchNorm<B>,
    pool: MaxPool2d,
    squeeze: AdaptiveAvgPool2d,
    dropout: Dropout,
    head: Linear<B>,
    relu: Relu,
}

impl<B: Backend> Cnn<B> {
    pub(crate) fn new(channels: usize, dropout: f64, device: &B::Device) -> Self {
        let conv = |i, o| Conv2dConfig::new([i, o], [3, 3]).with_padding(PaddingConfig2d::Same).init(device);
        Cnn {
            conv1: conv(1, channels),
            norm1: BatchNormConfig::new(channels).init(device),
            conv2: conv(channels, 2 * channels),
            norm2: BatchNormConfig::new(2 * channels).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            squeeze: AdaptiveAvgPool2dConfig::new([2, 2]).init(),
            dropout: DropoutConfig::new(dropout).init(),
            head: LinearConfig::new(2 * channels * 4, 10).init(device),
            relu: Relu::new(),
        }
    }

    /// Class logits `[n, 10]` of images `[n, 1, side, side]`.
    pub(crate) fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self.pool.forward(self.relu.forward(self.norm1.forward(self.conv1.forward(images))));
        let x = self.pool.forward(self.relu.forward(self.norm2.forward(self.conv2.forward(x))));
        let x = self.squeeze.forward(x).flatten(1, 3);
        self.head.forward(self.dropout.forward(x))
    }

    fn classify(&self, batch: ImageBatch<B>) -> ClassificationOutput<B> {
        let output = self.forward(batch.images);
        let loss = CrossEntropyLossConfig::new().init(&output.device()).forward(output.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, output, batch.targets)
    }
}

impl<B: AutodiffBackend> TrainStep for Cnn<B> {
    type Input = ImageBatch<B>;
    type Output = ClassificationOutput<B>;

    fn step(&self, batch: ImageBatch<B>) -> TrainOutput<ClassificationOutput<B>> {
        let item = self.classify(batch);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl<B: Backend> InferenceStep for Cnn<B> {
    type Input = ImageBatch<B>;
    type Output = ClassificationOutput<B>;

    fn step(&self, batch: ImageBatch<B>) -> ClassificationOutput<B> {
        self.classify(batch)
    }
}
