//! MNIST's IDX files (uncompressed), read with their sizes checked.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

use super::{Images, Split};

/// MNIST from the four uncompressed IDX files in `dir` (`train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`); the
/// test set is the validation split. `limit` keeps the first images of each split.
pub fn mnist(dir: &Path, limit: Option<usize>) -> Result<Images> {
    let split = |image_file: &str, label_file: &str| -> Result<(usize, Split)> {
        let (side, n, pixels) = read_idx_images(&dir.join(image_file))?;
        let labels = read_idx_labels(&dir.join(label_file))?;
        ensure!(n == labels.len(), "{image_file} has {n} images but {label_file} has {} labels", labels.len());
        let take = limit.unwrap_or(usize::MAX).min(n);
        let split = Split {
            pixels: pixels[..take * side * side].iter().map(|&p| f32::from(p) / 255.0).collect(),
            labels: labels[..take].to_vec(),
        };
        Ok((side, split))
    };
    let (side, train) = split("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let (valid_side, valid) = split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    ensure!(side == valid_side, "training images are {side}x{side} but test images {valid_side}x{valid_side}");
    ensure!(!train.is_empty() && !valid.is_empty(), "no images to train on or to validate with");
    Ok(Images { name: "mnist", side, train, valid })
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
    let expected = n.checked_mul(rows * cols).and_then(|p| p.checked_add(16));
    if expected != Some(bytes.len()) {
        bail!("{}: {} bytes, expected 16 + {n} x {rows} x {cols}", path.display(), bytes.len());
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
    fn idx_files_round_trip_and_bad_files_are_errors() -> Result<()> {
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
        assert_eq!((m.name, m.side, m.train.len(), m.valid.len()), ("mnist", 2, 3, 2));
        assert_eq!(m.train.labels[1], 1);
        assert_eq!(m.train.image(1, 2), &[40.0 / 255.0, 50.0 / 255.0, 60.0 / 255.0, 70.0 / 255.0]);
        assert_eq!(mnist(dir.path(), Some(1))?.train.pixels.len(), 4);
        write_labels("t10k-labels-idx1-ubyte", 5)?;
        let e = mnist(dir.path(), None).unwrap_err().to_string();
        assert!(e.contains("has 2 images but t10k-labels-idx1-ubyte has 5 labels"), "{e}");
        std::fs::write(dir.path().join("train-images-idx3-ubyte"), [0, 0, 8, 3, 255, 255, 255, 255, 0, 0, 0, 2, 0, 0, 0, 2])?;
        let e = mnist(dir.path(), None).unwrap_err().to_string();
        assert!(e.contains("16 bytes, expected"), "{e}");
        Ok(())
    }
}
