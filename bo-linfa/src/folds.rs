//! Splitting samples into folds: plain k-fold and stratified k-fold.

use bo_core::TrialRng;

use crate::error::{Error, Result};

/// Validation indices of `k` folds over `n` samples (scikit-learn's `KFold`): the first
/// `n % k` folds hold `n / k + 1` samples, the others `n / k`. With `shuffle = Some(seed)`
/// the samples are shuffled first (the same seed gives the same folds); with `None` the folds
/// are consecutive blocks.
///
/// ```
/// let folds = bo_linfa::k_fold(5, 2, None)?;
/// assert_eq!(folds, vec![vec![0, 1, 2], vec![3, 4]]);
/// # Ok::<(), bo_linfa::Error>(())
/// ```
pub fn k_fold(n: usize, k: usize, shuffle: Option<u64>) -> Result<Vec<Vec<usize>>> {
    check(n, k)?;
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle {
        shuffle_in_place(&mut order, &mut TrialRng::seed_from_u64(seed));
    }
    let mut folds = Vec::with_capacity(k);
    let mut start = 0;
    for f in 0..k {
        let size = n / k + usize::from(f < n % k);
        let mut fold = order[start..start + size].to_vec();
        fold.sort_unstable();
        folds.push(fold);
        start += size;
    }
    Ok(folds)
}

/// Validation indices of `k` folds that keep each class's proportion (scikit-learn's
/// `StratifiedKFold`): each class's samples (shuffled with `shuffle = Some(seed)`) are dealt
/// to the folds in turn, continuing from class to class, so a fold holds `n_c / k` or
/// `n_c / k + 1` samples of class `c` and fold sizes differ by at most one.
///
/// A class with fewer than `k` samples cannot appear in every fold; that is allowed (it is
/// logged), since the folds are still a partition.
pub fn stratified_k_fold(labels: &[usize], k: usize, shuffle: Option<u64>) -> Result<Vec<Vec<usize>>> {
    check(labels.len(), k)?;
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut rng = shuffle.map(TrialRng::seed_from_u64);
    let mut folds: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut next = 0;
    for (class, members) in by_class.iter_mut().enumerate() {
        if members.is_empty() {
            continue;
        }
        if members.len() < k {
            tracing::debug!(class, members = members.len(), folds = k, "class has fewer samples than folds");
        }
        if let Some(rng) = rng.as_mut() {
            shuffle_in_place(members, rng);
        }
        for &i in members.iter() {
            folds[next % k].push(i);
            next += 1;
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    Ok(folds)
}

fn check(n: usize, k: usize) -> Result<()> {
    if k < 2 {
        return Err(Error::InvalidConfig { what: "folds", reason: format!("needs at least 2 folds, got {k}") });
    }
    if n == 0 {
        return Err(Error::EmptyDataset { samples: 0, features: 0 });
    }
    if k > n {
        return Err(Error::TooManyFolds { folds: k, samples: n });
    }
    Ok(())
}

/// Fisher-Yates shuffle.
pub(crate) fn shuffle_in_place<T>(v: &mut [T], rng: &mut TrialRng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_partition(folds: &[Vec<usize>], n: usize) -> bool {
        let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
        all.sort_unstable();
        all == (0..n).collect::<Vec<_>>()
    }

    #[test]
    fn k_fold_partitions_the_samples_into_near_equal_folds() {
        let folds = k_fold(10, 3, Some(7)).unwrap();
        assert!(is_partition(&folds, 10));
        assert_eq!(folds.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 3, 3]);
        assert_eq!(folds, k_fold(10, 3, Some(7)).unwrap(), "same seed, same folds");
        assert_ne!(folds, k_fold(10, 3, Some(8)).unwrap(), "another seed, other folds");
        assert_eq!(k_fold(4, 2, None).unwrap(), vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn stratified_folds_keep_class_proportions() {
        // 60 samples of class 0, 30 of class 1, 15 of class 2, interleaved irregularly.
        let mut labels = Vec::new();
        for i in 0..105 {
            labels.push(match i % 7 {
                0..=3 => 0,
                4 | 5 => 1,
                _ => 2,
            });
        }
        let counts = |idx: &[usize]| {
            let mut c = [0usize; 3];
            for &i in idx {
                c[labels[i]] += 1;
            }
            c
        };
        assert_eq!(counts(&(0..105).collect::<Vec<_>>()), [60, 30, 15]);
        let folds = stratified_k_fold(&labels, 5, Some(3)).unwrap();
        assert!(is_partition(&folds, 105));
        for fold in &folds {
            assert_eq!(counts(fold), [12, 6, 3], "every fold keeps the 4:2:1 proportions");
        }
        // With uneven counts each class is off by at most one per fold.
        let labels: Vec<usize> = (0..23).map(|i| usize::from(i % 3 == 0)).collect();
        let folds = stratified_k_fold(&labels, 4, None).unwrap();
        assert!(is_partition(&folds, 23));
        for fold in &folds {
            let ones = fold.iter().filter(|&&i| labels[i] == 1).count();
            assert!((2..=2).contains(&ones), "8 positives over 4 folds: 2 each, got {ones}");
            assert!((5..=6).contains(&fold.len()));
        }
    }

    #[test]
    fn folds_reject_bad_counts() {
        assert!(matches!(k_fold(3, 5, None), Err(Error::TooManyFolds { folds: 5, samples: 3 })));
        assert!(matches!(k_fold(3, 1, None), Err(Error::InvalidConfig { .. })));
        assert!(matches!(k_fold(0, 2, None), Err(Error::EmptyDataset { .. })));
        assert!(matches!(stratified_k_fold(&[0, 1], 3, Some(1)), Err(Error::TooManyFolds { .. })));
    }
}
