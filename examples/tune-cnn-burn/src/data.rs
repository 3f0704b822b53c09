//! The images (see `example_cnn_common::images`) as a Burn dataset and batcher.

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::prelude::*;
use example_cnn_common::Images;

/// One grey-level image, pixels in [0, 1], row by row.
#[derive(Clone, Debug)]
pub(crate) struct Image {
    pub(crate) pixels: Arc<[f32]>,
    pub(crate) label: u8,
}

/// One split, behind an `Arc` so that trials running at once share it (cloning is cheap).
#[derive(Clone, Debug)]
pub(crate) struct Split(pub Arc<Vec<Image>>);

impl Split {
    fn new(split: &example_cnn_common::Split, side: usize) -> Self {
        Split(Arc::new((0..split.len()).map(|i| Image { pixels: split.image(i, side).into(), label: split.labels[i] }).collect()))
    }
}

impl Dataset<Image> for Split {
    fn get(&self, index: usize) -> Option<Image> {
        self.0.get(index).cloned()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// The training and validation images as Burn datasets.
#[derive(Clone, Debug)]
pub(crate) struct Data {
    pub(crate) side: usize,
    pub(crate) train: Split,
    pub(crate) valid: Split,
}

impl Data {
    pub(crate) fn new(images: &Images) -> Self {
        Data { side: images.side, train: Split::new(&images.train, images.side), valid: Split::new(&images.valid, images.side) }
    }
}

/// A batch: images `[n, 1, side, side]` and their labels.
#[derive(Clone, Debug)]
pub(crate) struct ImageBatch<B: Backend> {
    pub(crate) images: Tensor<B, 4>,
    pub(crate) targets: Tensor<B, 1, Int>,
}

/// Stacks images of one side length into a batch.
#[derive(Clone, Debug)]
pub(crate) struct ImageBatcher {
    pub(crate) side: usize,
}

impl<B: Backend> Batcher<B, Image, ImageBatch<B>> for ImageBatcher {
    fn batch(&self, items: Vec<Image>, device: &B::Device) -> ImageBatch<B> {
        let n = items.len();
        let pixels: Vec<f32> = items.iter().flat_map(|i| i.pixels.iter().copied()).collect();
        let labels: Vec<i64> = items.iter().map(|i| i64::from(i.label)).collect();
        ImageBatch {
            images: Tensor::from_data(TensorData::new(pixels, [n, 1, self.side, self.side]), device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;

    use super::*;

    #[test]
    fn splits_keep_every_image_and_batches_have_its_shape() {
        let images = example_cnn_common::images::digits(0.25);
        let Data { side, train, valid } = Data::new(&images);
        assert_eq!((side, train.len(), valid.len()), (8, 1348, 449));
        assert_eq!(&*valid.0[2].pixels, images.valid.image(2, 8));
        let batch: ImageBatch<NdArray> = ImageBatcher { side: 8 }.batch(valid.0[..5].to_vec(), &Default::default());
        assert_eq!(batch.images.dims(), [5, 1, 8, 8]);
        assert_eq!(batch.targets.into_data().to_vec::<i64>().unwrap(), images.valid.labels[..5].iter().map(|&l| i64::from(l)).collect::<Vec<_>>());
    }
}
