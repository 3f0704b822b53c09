//! The images (see `example_cnn_common::images`) as tch tensors on a trial's device.

use example_cnn_common::Split;
use tch::{Device, Tensor};

/// Images `[n, 1, side, side]` and labels `[n]` (int64) of `split` on `device`.
pub(crate) fn tensors(split: &Split, side: usize, device: Device) -> (Tensor, Tensor) {
    let n = split.len() as i64;
    let s = side as i64;
    let labels: Vec<i64> = split.labels.iter().map(|&l| i64::from(l)).collect();
    (Tensor::from_slice(&split.pixels).view([n, 1, s, s]).to_device(device), Tensor::from_slice(&labels).to_device(device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_have_the_split_shape_and_labels() {
        let images = example_cnn_common::images::digits(0.25);
        let (x, y) = tensors(&images.valid, images.side, Device::Cpu);
        assert_eq!((x.size(), y.size()), (vec![449, 1, 8, 8], vec![449]));
        assert_eq!(y.int64_value(&[3]), i64::from(images.valid.labels[3]));
        assert_eq!(x.double_value(&[2, 0, 4, 5]) as f32, images.valid.image(2, 8)[4 * 8 + 5]);
    }
}
