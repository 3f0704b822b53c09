//! The images: the 8x8 digits shipped with smartcore, or MNIST from IDX files.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::prelude::*;

/// One grey-level image, pixels in [0, 1], row by row.
#[derive(Clone, Debug)]
pub(crate) struct Image {
    pub(crate) pixels: Arc<[f32]>,
    pub(crate) label: u8,
}

/// Training and validation images, shared by every trial (cloning is cheap).
#[derive(Clone, Debug)]
pub(crate) struct Images {
    pub(crate) side: usize,
    pub(crate) train: Split,
    pub(crate) valid: Split,
}

/// One split, behind an `Arc` so that trials running at once share it.
#[derive(Clone, Debug)]
pub(crate) struct Split(pub Arc<Vec<Image>>);

impl Dataset<Image> for Split {
    fn get(&self, index: usize) -> Option<Image> {
        self.0.get(index).cloned()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// The 1797 8x8 digits of smartcore (values 0..16), shuffled by a fixed permutation;
/// `valid_fraction` of them for validation.
pub(crate) fn digits(valid_fraction: f64) -> Images {
    let d = smartcore::dataset::digits::load_dataset();
    let n = d.num_samples;
    // 7919 is prime and does not divide 1797: i -> 7919 i mod n is a permutation.
    let all: Vec<Image> = (0..n)
        .map(|i| (i * 7919) % n)
        .map(|j| Image {
            pixels: d.data[j * 64..(j + 1) * 64].iter().map(|p| p / 16.0).collect(),
            label: d.target[j] as u8,
        })
        .collect();
    let n_valid = ((n as f64) * valid_fraction).round() as usize;
    let (valid, train) = all.split_at(n_valid.clamp(1, n - 1));
    Images { side: 8, train: Split(Arc::new(train.to_vec())), valid: Split(Arc::new(valid.to_vec())) }
}

/// MNIST from the four uncompressed IDX files in `dir` (`train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`); the
/// test set is the validation split. `limit` keeps the first images of each split.
pub(crate) fn mnist(dir: &Path, limit: Option<usize>) -> Result<Images> {
    let split = |image_file: &str, label_file: &str| -> Result<(usize, Vec<Image>)> {
        let (side, pixels) = read_idx_images(&dir.join(image_file))?;
        let labels = read_idx_labels(&dir.join(label_file))?;
        ensure!(
            pixels.len() == labels.len(),
            "{image_file} has {} images but {label_file} has {} labels",
            pixels.len(),
            labels.len()
        );
        let take = limit.unwrap_or(usize::MAX);
        let items = pixels.into_iter().zip(labels).take(take).map(|(pixels, label)| Image { pixels, label }).collect();
        Ok((side, items))
    };
    let (side, train) = split("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let (valid_side, valid) = split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    ensure!(side == valid_side, "training images are {side}x{side} but test images {valid_side}x{valid_side}");
    Ok(Images { side, train: Split(Arc::new(train)), valid: Split(Arc::new(valid)) })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {} (uncompressed IDX file expected)", path.display()))
}

fn be_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

fn read_idx_images(path: &Path) -> Result<(usize, Vec<Arc<[f32]>>)> {
    let bytes = read(path)?;
    ensure!(bytes.len() >= 16 && be_u32(&bytes, 0) == 0x803, "{} is not an IDX image file", path.display());
    let (n, rows, cols) = (be_u32(&bytes, 4), be_u32(&bytes, 8), be_u32(&bytes, 12));
    ensure!(rows == cols && rows > 0, "{}: images are {rows}x{cols}, square images expected", path.display());
    let size = rows * cols;
    if bytes.len() != 16 + n * size {
        bail!("{}: {} bytes, expected {} for {n} images", path.display(), bytes.len(), 16 + n * size);
    }
    let images = bytes[16..].chunks_exact(size).map(|c| c.iter().map(|&p| f32::from(p) / 255.0).collect()).collect();
    Ok((rows, images))
}

fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read(path)?;
    ensure!(bytes.len() >= 8 && be_u32(&bytes, 0) == 0x801, "{} is not an IDX label file", path.display());
    let n = be_u32(&bytes, 4);
    ensure!(bytes.len() == 8 + n, "{}: {} bytes, expected {}", path.display(), bytes.len(), 8 + n);
    ensure!(bytes[8..].iter().all(|&l| l < 10), "{}: labels must be 0..9", path.display());
    Ok(bytes[8..].to_vec())
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
    use super::*;

    #[test]
    fn idx_files_round_trip() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let write_images = |name: &str, n: u32| {
            let mut b = vec![0, 0, 8, 3];
            for v in [n, 2, 2] {
                b.extend(v.to_be_bytes());
            }
            b.extend((0..n * 4).map(|i| (i * 10) as u8));
            std::fs::write(dir.path().join(name), b)
        };
        let write_labels = |name: &str, n: u32| {
            let mut b = vec![0, 0, 8, 1];
            b.extend(n.to_be_bytes());
            b.extend((0..n).map(|i| (i % 10) as u8));
            std::fs::write(dir.path().join(name), b)
        };
        write_images("train-images-idx3-ubyte", 3)?;
        write_labels("train-labels-idx1-ubyte", 3)?;
        write_images("t10k-images-idx3-ubyte", 2)?;
        write_labels("t10k-labels-idx1-ubyte", 2)?;
        let m = mnist(dir.path(), None)?;
        assert_eq!((m.side, m.train.len(), m.valid.len()), (2, 3, 2));
        assert_eq!(m.train.0[1].label, 1);
        assert_eq!(&*m.train.0[1].pixels, &[40.0 / 255.0, 50.0 / 255.0, 60.0 / 255.0, 70.0 / 255.0]);
        write_labels("t10k-labels-idx1-ubyte", 5)?;
        let e = mnist(dir.path(), None).unwrap_err().to_string();
        assert!(e.contains("has 2 images but t10k-labels-idx1-ubyte has 5 labels"), "{e}");
        Ok(())
    }

    #[test]
    fn digits_split_covers_every_image_once() {
        let d = digits(0.25);
        assert_eq!(d.train.len() + d.valid.len(), 1797);
        assert_eq!(d.valid.len(), 449);
        assert!(d.train.0.iter().all(|i| i.pixels.len() == 64 && i.label < 10));
    }
}
