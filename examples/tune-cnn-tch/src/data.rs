//! The images: the 8x8 digits shipped with smartcore, or MNIST from IDX files, as flat
//! arrays shared by every trial; each trial copies them to its device as tensors.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use tch::{Device, Tensor};

/// Grey-level images (pixels in [0, 1], row by row, image after image) and their labels.
#[derive(Clone, Debug, Default)]
pub(crate) struct Split {
    pub(crate) pixels: Vec<f32>,
    pub(crate) labels: Vec<i64>,
}

impl Split {
    pub(crate) fn len(&self) -> usize {
        self.labels.len()
    }

    fn push(&mut self, pixels: impl IntoIterator<Item = f32>, label: i64) {
        self.pixels.extend(pixels);
        self.labels.push(label);
    }

    /// Images `[n, 1, side, side]` and labels `[n]` on `device`.
    pub(crate) fn tensors(&self, side: usize, device: Device) -> (Tensor, Tensor) {
        let n = self.len() as i64;
        let s = side as i64;
        (Tensor::from_slice(&self.pixels).view([n, 1, s, s]).to_device(device), Tensor::from_slice(&self.labels).to_device(device))
    }
}

/// Training and validation images of one side length.
#[derive(Clone, Debug)]
pub(crate) struct Images {
    pub(crate) side: usize,
    pub(crate) train: Split,
    pub(crate) valid: Split,
}

/// The 1797 8x8 digits of smartcore (values 0..16), shuffled by a fixed permutation;
/// `valid_fraction` of them for validation.
pub(crate) fn digits(valid_fraction: f64) -> Images {
    let d = smartcore::dataset::digits::load_dataset();
    let n = d.num_samples;
    let n_valid = (((n as f64) * valid_fraction).round() as usize).clamp(1, n - 1);
    let (mut train, mut valid) = (Split::default(), Split::default());
    // 7919 is prime and does not divide 1797: i -> 7919 i mod n is a permutation.
    for (i, j) in (0..n).map(|i| (i, (i * 7919) % n)) {
        let split = if i < n_valid { &mut valid } else { &mut train };
        split.push(d.data[j * 64..(j + 1) * 64].iter().map(|p| p / 16.0), d.target[j] as i64);
    }
    Images { side: 8, train, valid }
}

/// MNIST from the four uncompressed IDX files in `dir` (`train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`); the
/// test set is the validation split. `limit` keeps the first images of each split.
pub(crate) fn mnist(dir: &Path, limit: Option<usize>) -> Result<Images> {
    let split = |image_file: &str, label_file: &str| -> Result<(usize, Split)> {
        let (side, n, pixels) = read_idx_images(&dir.join(image_file))?;
        let labels = read_idx_labels(&dir.join(label_file))?;
        ensure!(n == labels.len(), "{image_file} has {n} images but {label_file} has {} labels", labels.len());
        let take = limit.unwrap_or(usize::MAX).min(n);
        let split = Split {
            pixels: pixels[..take * side * side].iter().map(|&p| f32::from(p) / 255.0).collect(),
            labels: labels[..take].iter().map(|&l| i64::from(l)).collect(),
        };
        Ok((side, split))
    };
    let (side, train) = split("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let (valid_side, valid) = split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    ensure!(side == valid_side, "training images are {side}x{side} but test images {valid_side}x{valid_side}");
    ensure!(train.len() > 0 && valid.len() > 0, "no images to train on or to validate with");
    Ok(Images { side, train, valid })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {} (uncompressed IDX file expected)", path.display()))
}

fn be_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

/// Side length, image count and the raw pixels of an IDX image file.
fn read_idx_images(path: &Path) -> Result<(usize, usize, Vec<u8>)> {
    let bytes = read(path)?;
    ensure!(bytes.len() >= 16 && be_u32(&bytes, 0) == 0x803, "{} is not an IDX image file", path.display());
    let (n, rows, cols) = (be_u32(&bytes, 4), be_u32(&bytes, 8), be_u32(&bytes, 12));
    ensure!(rows == cols && rows > 0, "{}: images are {rows}x{cols}, square images expected", path.display());
    if bytes.len() != 16 + n * rows * cols {
        bail!("{}: {} bytes, expected {} for {n} images", path.display(), bytes.len(), 16 + n * rows * cols);
    }
    Ok((rows, n, bytes[16..].to_vec()))
}

fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read(path)?;
    ensure!(bytes.len() >= 8 && be_u32(&bytes, 0) == 0x801, "{} is not an IDX label file", path.display());
    let n = be_u32(&bytes, 4);
    ensure!(bytes.len() == 8 + n, "{}: {} bytes, expected {}", path.display(), bytes.len(), 8 + n);
    ensure!(bytes[8..].iter().all(|&l| l < 10), "{}: labels must be 0..9", path.display());
    Ok(bytes[8..].to_vec())
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
        assert_eq!(m.train.labels[1], 1);
        assert_eq!(&m.train.pixels[4..8], &[40.0 / 255.0, 50.0 / 255.0, 60.0 / 255.0, 70.0 / 255.0]);
        let (x, y) = m.train.tensors(m.side, Device::Cpu);
        assert_eq!((x.size(), y.size()), (vec![3, 1, 2, 2], vec![3]));
        assert_eq!(mnist(dir.path(), Some(1))?.train.pixels.len(), 4);
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
        assert_eq!(d.train.pixels.len(), d.train.len() * 64);
        assert!(d.train.labels.iter().all(|&l| (0..10).contains(&l)));
        assert!(d.train.pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
    }
}
