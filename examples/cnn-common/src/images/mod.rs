//! Handwritten-digit images for the CNN examples (`tune-cnn-tch`, `tune-cnn-burn`), all
//! offline: the 1797 8x8 digits shipped with smartcore, a synthetic 28x28 set made from
//! them (tens of thousands of images, enough work for a GPU to matter), or MNIST from its
//! four IDX files. Both examples take the same flags ([`DataArgs`]) and get the same images.

mod idx;
mod synthetic;

use std::path::PathBuf;

use anyhow::{Result, ensure};
use clap::ValueEnum;

pub use idx::mnist;
pub use synthetic::{SyntheticDigits, digits28};

/// Grey-level images of one side length (pixels in [0, 1], row by row, image after image)
/// and their labels (0..9).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    /// `len() * side * side` pixels.
    pub pixels: Vec<f32>,
    /// One label per image.
    pub labels: Vec<u8>,
}

impl Split {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i` (`side * side` values).
    pub fn image(&self, i: usize, side: usize) -> &[f32] {
        &self.pixels[i * side * side..(i + 1) * side * side]
    }

    fn push(&mut self, pixels: impl IntoIterator<Item = f32>, label: u8) {
        self.pixels.extend(pixels);
        self.labels.push(label);
    }
}

/// Training and validation images of one side length.
#[derive(Clone, Debug)]
pub struct Images {
    /// What the images are, for reports: `digits`, `digits28`, `mnist`.
    pub name: &'static str,
    /// Side length in pixels.
    pub side: usize,
    /// Images to train on.
    pub train: Split,
    /// Images to validate on (never made from a training image).
    pub valid: Split,
}

/// Which images to use (`--data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataKind {
    /// The 1797 8x8 digits of smartcore, 25 % of them for validation.
    Digits,
    /// 28x28 images made from the 8x8 digits: upsampled, rotated, shifted, noised
    /// (`--images` training images, a fifth as many for validation).
    Digits28,
}

/// The examples' data flags.
#[derive(Clone, Debug, clap::Args)]
pub struct DataArgs {
    /// Images to train on: the 8x8 digits, or 28x28 images made from them.
    #[arg(long, value_enum, default_value_t = DataKind::Digits)]
    pub data: DataKind,
    /// Training images of `--data digits28` (validation: a fifth as many).
    #[arg(long, default_value_t = 30_000)]
    pub images: usize,
    /// Seed of `--data digits28`'s transformations and noise.
    #[arg(long, default_value_t = 0)]
    pub data_seed: u64,
    /// Folder with MNIST's four uncompressed IDX files (overrides --data).
    #[arg(long)]
    pub mnist: Option<PathBuf>,
    /// Keep only the first images of each MNIST split.
    #[arg(long)]
    pub limit: Option<usize>,
}

impl DataArgs {
    /// Loads or makes the images the flags name.
    pub fn load(&self) -> Result<Images> {
        if let Some(dir) = &self.mnist {
            return mnist(dir, self.limit);
        }
        Ok(match self.data {
            DataKind::Digits => digits(0.25),
            DataKind::Digits28 => {
                ensure!(self.images >= 10, "--images {} is too few: at least 10 (one per digit)", self.images);
                digits28(&SyntheticDigits { train: self.images, valid: (self.images / 5).max(10), seed: self.data_seed })
            }
        })
    }
}

/// The 1797 digits of smartcore in a fixed shuffled order (values scaled to [0, 1]), the
/// first `n_valid` of them for validation.
fn shuffled_digits(valid_fraction: f64) -> (usize, Vec<(Vec<f32>, u8)>) {
    let d = smartcore::dataset::digits::load_dataset();
    let n = d.num_samples;
    let n_valid = (((n as f64) * valid_fraction).round() as usize).clamp(1, n - 1);
    // 7919 is prime and does not divide 1797: i -> 7919 i mod n is a permutation.
    let all = (0..n)
        .map(|i| (i * 7919) % n)
        .map(|j| (d.data[j * 64..(j + 1) * 64].iter().map(|p| p / 16.0).collect(), d.target[j] as u8))
        .collect();
    (n_valid, all)
}

/// The 1797 8x8 digits of smartcore (values 0..16 scaled to [0, 1]) in a fixed shuffled
/// order; `valid_fraction` of them for validation.
pub fn digits(valid_fraction: f64) -> Images {
    let (n_valid, all) = shuffled_digits(valid_fraction);
    let (mut train, mut valid) = (Split::default(), Split::default());
    for (i, (pixels, label)) in all.into_iter().enumerate() {
        let split = if i < n_valid { &mut valid } else { &mut train };
        split.push(pixels, label);
    }
    Images { name: "digits", side: 8, train, valid }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_split_covers_every_image_once() {
        let d = digits(0.25);
        assert_eq!(d.train.len() + d.valid.len(), 1797);
        assert_eq!(d.valid.len(), 449);
        assert_eq!(d.train.pixels.len(), d.train.len() * 64);
        assert!(d.train.labels.iter().all(|&l| l < 10));
        assert!(d.train.pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
        // Every image once: the multiset of (label, pixel sum) equals smartcore's.
        let key = |p: &[f32], l: u8| (l, (p.iter().sum::<f32>() * 16.0).round() as i64);
        let mut ours: Vec<_> = (0..d.train.len())
            .map(|i| key(d.train.image(i, 8), d.train.labels[i]))
            .chain((0..d.valid.len()).map(|i| key(d.valid.image(i, 8), d.valid.labels[i])))
            .collect();
        let s = smartcore::dataset::digits::load_dataset();
        let mut theirs: Vec<_> = (0..s.num_samples)
            .map(|j| (s.target[j] as u8, s.data[j * 64..(j + 1) * 64].iter().sum::<f32>().round() as i64))
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn args_pick_the_data_set_and_reject_too_few_images() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            data: DataArgs,
        }
        let load = |args: &[&str]| Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied())).unwrap().data.load();
        let d = load(&[]).unwrap();
        assert_eq!((d.name, d.side), ("digits", 8));
        let d = load(&["--data", "digits28", "--images", "50"]).unwrap();
        assert_eq!((d.name, d.side, d.train.len(), d.valid.len()), ("digits28", 28, 50, 10));
        let e = load(&["--data", "digits28", "--images", "3"]).unwrap_err().to_string();
        assert!(e.contains("--images 3 is too few"), "{e}");
    }
}
