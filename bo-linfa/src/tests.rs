//! Tests of bo-linfa against real studies, real datasets and a real SQLite store.

use bo_core::{
    MedianPruner, Optimize, Params, RandomSampler, SqliteStorage, Study, TpeSampler, Trial, TrialState,
};
use linfa::DatasetBase;
use linfa_trees::DecisionTree;
use ndarray::{Array1, Array2, Axis, array};

use crate::linfa_models::{
    DecisionTreeSpace, ElasticNetSpace, KMeansSpace, LogisticRegressionSpace, RandomForestSpace, SvmSpace,
};
use crate::{
    ClassificationDataset, CrossValidation, CvData, Error, Estimator, FOLD_SCORES_ATTR, Metric, Predictions,
    RegressionDataset, k_fold, stratified_k_fold,
};

/// A quarter of `data` held out as a test set (stratified when it has labels), the rest for
/// tuning.
fn holdout<D: CvData>(data: &D) -> (D, D) {
    let folds = match data.labels() {
        Some(labels) => stratified_k_fold(&labels, 4, Some(11)).unwrap(),
        None => k_fold(data.records().nrows(), 4, Some(11)).unwrap(),
    };
    let test = &folds[0];
    let train: Vec<usize> = (0..data.records().nrows()).filter(|i| !test.contains(i)).collect();
    (data.select(&train), data.select(test))
}

fn no_trial() -> Trial {
    Trial::fixed(Params::new())
}

// Compile-time check: the public handles cross threads (a study's workers share them).
const _: fn() = || {
    fn check<T: Send + Sync>() {}
    check::<CrossValidation>();
    check::<Error>();
    check::<Predictions>();
    check::<RandomForestSpace>();
};

#[test]
fn the_first_fold_is_reported_as_step_0() {
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(3).seed(1).build().unwrap();
    let study = Study::builder().direction(cv.direction()).seed(1).build().unwrap();
    study.optimize_with(Optimize::trials(1).progress_bar(false), depth_objective(&cv, &data)).unwrap();
    let t = &study.trials().unwrap()[0];
    assert_eq!(t.intermediate_values.keys().copied().collect::<Vec<u64>>(), [0, 1, 2]);
}

#[test]
fn a_metric_in_a_study_of_the_other_direction_is_a_typed_error() {
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(3).metric(Metric::Accuracy).build().unwrap();
    // Accuracy is maximized; a default study minimizes.
    let study = Study::builder().seed(1).build().unwrap();
    let mut trial = study.ask().unwrap();
    let e = depth_objective(&cv, &data)(&mut trial).unwrap_err();
    assert!(
        matches!(e, Error::DirectionMismatch { metric: Metric::Accuracy, study: bo_core::Direction::Minimize }),
        "{e}"
    );
    assert!(e.to_string().contains("direction(cv.direction())"), "{e}");
    assert!(trial.intermediate_values().is_empty(), "nothing was fitted or reported");
    // A fixed trial belongs to no study: nothing to check.
    assert!(cv.classify_linfa(&no_trial(), &data, &DecisionTree::params()).is_ok());
    // Through optimize, the trial fails with the reason.
    study.optimize_with(Optimize::trials(1).progress_bar(false), depth_objective(&cv, &data)).unwrap();
    let failed = &study.trials().unwrap()[1];
    assert_eq!(failed.state, TrialState::Failed);
    assert!(failed.fail_reason.as_deref().unwrap_or_default().contains("is to maximize"), "{failed:?}");
}

#[test]
fn pruned_is_one_form_recognized_by_type() {
    let e = Error::from(bo_core::Pruned);
    assert!(e.is_pruned() && bo_core::is_pruned(&e));
    assert!(matches!(e, Error::Core(bo_core::Error::Pruned(_))));
    let other = Error::Core(bo_core::Error::NoCompletedTrials);
    assert!(!other.is_pruned() && !bo_core::is_pruned(&other));
}

#[test]
fn tuned_elastic_net_beats_the_library_default_on_held_out_diabetes() {
    let (train, test) = holdout(&linfa_datasets::diabetes());
    let cv = CrossValidation::builder().folds(3).metric(Metric::R2).seed(5).build().unwrap();
    let study = Study::builder().direction(cv.direction()).sampler(TpeSampler::default()).seed(3).build().unwrap();
    study
        .optimize_with(Optimize::trials(12).progress_bar(false), cv.objective::<ElasticNetSpace>(&train))
        .unwrap();
    let best: ElasticNetSpace = Trial::fixed(study.best_params().unwrap()).suggest().unwrap();
    let tuned = cv.evaluate(&best, &train, &test).unwrap();
    let default = cv.evaluate(&ElasticNetSpace::default(), &train, &test).unwrap();
    // linfa's default penalty (1.0) shrinks the coefficients of diabetes' scaled features to
    // almost nothing (R^2 near 0); a tuned penalty explains about half the variance.
    assert!(tuned > default + 0.2, "tuned R^2 {tuned} vs default {default} ({best:?})");
    assert!(tuned > 0.4, "tuned R^2 {tuned}");
}

/// The objective of the pruning tests: a linfa decision tree of depth `max_depth` on iris.
fn depth_objective<'a>(cv: &'a CrossValidation, data: &'a ClassificationDataset) -> impl Fn(&mut Trial) -> crate::Result<f64> + Sync + 'a {
    move |trial: &mut Trial| {
        let depth = trial.suggest_int("max_depth", 1..=6)? as usize;
        cv.classify_linfa(trial, data, &DecisionTree::params().max_depth(Some(depth)))
    }
}

#[test]
fn pruning_stops_clearly_worse_configurations_after_the_first_folds_and_reports_reach_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cv.db");
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(5).seed(9).build().unwrap();
    let study = Study::builder()
        .name("depth")
        .direction(cv.direction())
        .storage(SqliteStorage::open(&path).unwrap())
        .sampler(RandomSampler)
        .pruner(MedianPruner::default())
        .seed(1)
        .build()
        .unwrap();
    // Five good depths complete first (the median pruner's startup trials), then depth 1
    // (a stump: at most two of iris' three classes, about 2/3 accuracy) comes twice.
    for depth in [3i64, 4, 3, 5, 4, 1, 1] {
        study.enqueue([("max_depth", depth)]).unwrap();
    }
    study.optimize_with(Optimize::trials(7).progress_bar(false), depth_objective(&cv, &data)).unwrap();

    // Read everything back from a fresh connection to the file.
    let reopened = Study::builder()
        .name("depth")
        .direction(cv.direction())
        .storage(SqliteStorage::open(&path).unwrap())
        .load_if_exists(true)
        .build()
        .unwrap();
    let trials = reopened.trials().unwrap();
    assert_eq!(trials.len(), 7);
    for t in &trials[..5] {
        assert_eq!(t.state, TrialState::Complete, "good depth {:?} must complete", t.params);
        assert_eq!(t.intermediate_values.len(), 5, "one report per fold");
    }
    for t in &trials[5..] {
        assert_eq!(t.state, TrialState::Pruned, "depth 1 must be pruned");
        assert!(t.intermediate_values.len() < 5, "pruned after {} of 5 folds", t.intermediate_values.len());
    }
    // Each stored report is the running mean of the stored fold scores, at steps 0, 1, ….
    for t in &trials {
        let scores: Vec<f64> = serde_json::from_value(t.user_attrs[FOLD_SCORES_ATTR].clone()).unwrap();
        assert_eq!(scores.len(), t.intermediate_values.len());
        for (step, value) in &t.intermediate_values {
            let k = *step as usize + 1;
            let mean = scores[..k].iter().sum::<f64>() / k as f64;
            assert!((value - mean).abs() < 1e-12, "step {step}: reported {value}, running mean {mean}");
        }
        if t.state == TrialState::Complete {
            assert!((t.value.unwrap() - t.intermediate_values[&4]).abs() < 1e-12);
        }
    }
}

#[test]
fn tpe_with_median_pruning_prunes_some_trials_and_finds_a_good_tree() {
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(4).seed(2).build().unwrap();
    let study = Study::builder()
        .direction(cv.direction())
        .sampler(TpeSampler::default())
        .pruner(MedianPruner::default())
        .seed(4)
        .build()
        .unwrap();
    // 30 trials: every seed of 0..24 then ends above 0.93 (with 20, two of them end at 0.92).
    study.optimize_with(Optimize::trials(30).progress_bar(false), cv.objective::<DecisionTreeSpace>(&data)).unwrap();
    let trials = study.trials().unwrap();
    let pruned: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Pruned).collect();
    assert!(!pruned.is_empty(), "some configurations are pruned");
    assert!(pruned.iter().all(|t| t.intermediate_values.len() < 4));
    assert!(trials.iter().all(|t| t.state != TrialState::Failed), "{:?}", trials.iter().find_map(|t| t.fail_reason.clone()));
    assert!(study.best_value().unwrap() > 0.93);
}

#[test]
fn stratified_cv_folds_keep_iris_class_proportions() {
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(5).seed(1).build().unwrap();
    for fold in cv.split(&data).unwrap() {
        let mut counts = [0; 3];
        fold.iter().for_each(|&i| counts[data.targets[i]] += 1);
        assert_eq!(counts, [10, 10, 10]);
    }
    // Without stratification the folds are plain shuffled blocks: some class is off.
    let plain = CrossValidation::builder().folds(5).seed(1).stratify(false).build().unwrap();
    let uneven = plain.split(&data).unwrap().iter().any(|fold| {
        let mut counts = [0; 3];
        fold.iter().for_each(|&i| counts[data.targets[i]] += 1);
        counts != [10, 10, 10]
    });
    assert!(uneven);
}

#[test]
fn classify_linfa_equals_the_ready_space_and_the_closure() {
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(3).seed(8).build().unwrap();
    let space = DecisionTreeSpace { max_depth: Some(2), ..DecisionTreeSpace::default() };
    let a = cv.estimate(&no_trial(), &data, &space).unwrap();
    let b = cv.classify_linfa(&no_trial(), &data, &space.params()).unwrap();
    let c = cv
        .classify(&no_trial(), &data, |fold| {
            use linfa::prelude::*;
            let tree = space.params().fit(fold.train)?;
            Ok::<_, linfa::Error>(Predictions::Labels(tree.predict(fold.valid)))
        })
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert!(a > 0.9, "depth-2 tree on iris: {a}");
}

#[test]
fn ready_linfa_spaces_fit_and_score_their_defaults() {
    let iris = linfa_datasets::iris();
    let acc = CrossValidation::builder().folds(3).seed(1).standardize(true).build().unwrap();
    let loss = CrossValidation::builder().folds(3).seed(1).standardize(true).metric(Metric::LogLoss).build().unwrap();
    let auc = CrossValidation::builder().folds(3).seed(1).standardize(true).metric(Metric::RocAuc).build().unwrap();
    let t = no_trial();
    let tree = acc.estimate(&t, &iris, &DecisionTreeSpace::default()).unwrap();
    let forest = RandomForestSpace { n_trees: 10, ..RandomForestSpace::default() };
    let forest_acc = acc.estimate(&t, &iris, &forest).unwrap();
    let forest_auc = auc.estimate(&t, &iris, &forest).unwrap();
    let svm = acc.estimate(&t, &iris, &SvmSpace::default()).unwrap();
    let svm_loss = loss.estimate(&t, &iris, &SvmSpace::default()).unwrap();
    let logistic = acc.estimate(&t, &iris, &LogisticRegressionSpace::default()).unwrap();
    let logistic_loss = loss.estimate(&t, &iris, &LogisticRegressionSpace::default()).unwrap();
    for (name, score) in [("tree", tree), ("forest", forest_acc), ("svm", svm), ("logistic", logistic)] {
        assert!(score > 0.85, "{name} accuracy {score}");
    }
    assert!(forest_auc > 0.95, "forest vote shares as scores: AUC {forest_auc}");
    // Uninformed probabilities over three classes cost ln 3 = 1.1.
    assert!(svm_loss < 0.6 && logistic_loss < 0.6, "log loss svm {svm_loss}, logistic {logistic_loss}");

    let diabetes = linfa_datasets::diabetes();
    let r2 = CrossValidation::builder().folds(3).seed(1).metric(Metric::R2).build().unwrap();
    let net = r2.estimate(&t, &diabetes, &ElasticNetSpace { penalty: 1e-3, l1_ratio: 0.5 }).unwrap();
    assert!(net > 0.4, "elastic net R^2 {net}");
    let rmse = CrossValidation::builder().folds(3).seed(1).metric(Metric::Rmse).build().unwrap();
    let err = rmse.estimate(&t, &diabetes, &ElasticNetSpace { penalty: 1e-3, l1_ratio: 0.5 }).unwrap();
    assert!(err > 40.0 && err < 65.0, "diabetes targets spread ~77; RMSE {err}");

    let records = iris.records.clone();
    let sil = CrossValidation::builder().folds(3).seed(1).metric(Metric::Silhouette).build().unwrap();
    let two = sil.estimate(&t, &records, &KMeansSpace::default()).unwrap();
    let nine = sil.estimate(&t, &records, &KMeansSpace { n_clusters: 9, ..KMeansSpace::default() }).unwrap();
    assert!(two > 0.6, "iris splits cleanly in two: silhouette {two}");
    assert!(two > nine, "two clusters {two} beat nine {nine}");
}

#[test]
fn typed_spaces_use_nested_names_and_rebuild_from_stored_params() {
    let study = Study::builder().seed(5).build().unwrap();
    for _ in 0..5 {
        let mut trial = study.ask().unwrap();
        let forest: RandomForestSpace = trial.suggest().unwrap();
        let params = trial.params();
        assert!((8..=128).contains(&forest.n_trees));
        assert!((0.2..=1.0).contains(&forest.feature_proportion));
        for name in ["n_trees", "bootstrap_proportion", "feature_proportion", "tree.split_quality", "tree.use_max_depth"] {
            assert!(params.contains_key(name), "missing {name} in {params:?}");
        }
        assert_eq!(params.contains_key("tree.max_depth"), forest.tree.max_depth.is_some());
        let again: RandomForestSpace = Trial::fixed(params).suggest().unwrap();
        assert_eq!(again, forest);
        study.tell(trial, 0.0).unwrap();
    }
}

#[test]
fn held_out_evaluation_scores_the_test_part_only() {
    let (train, test) = holdout(&linfa_datasets::iris());
    assert_eq!((train.records.nrows(), test.records.nrows()), (112, 38));
    let cv = CrossValidation::builder().build().unwrap();
    let space = DecisionTreeSpace { max_depth: Some(3), ..DecisionTreeSpace::default() };
    let by_hand = {
        use linfa::prelude::*;
        let tree = space.params().fit(&train).unwrap();
        crate::accuracy(&test.targets.to_vec(), &tree.predict(&test.records).to_vec()).unwrap()
    };
    assert_eq!(cv.evaluate(&space, &train, &test).unwrap(), by_hand);
}

#[test]
fn bad_input_gives_typed_errors() {
    let cv = CrossValidation::builder().folds(5).build().unwrap();
    let t = no_trial();
    let tree = DecisionTreeSpace::default();

    let empty: ClassificationDataset = DatasetBase::new(Array2::zeros((0, 4)), Array1::zeros(0));
    assert!(matches!(cv.estimate(&t, &empty, &tree), Err(Error::EmptyDataset { samples: 0, .. })));

    let three: ClassificationDataset = DatasetBase::new(array![[0.0], [1.0], [2.0]], array![0, 1, 0]);
    assert!(matches!(cv.estimate(&t, &three, &tree), Err(Error::TooManyFolds { folds: 5, samples: 3 })));

    let mismatched: ClassificationDataset = DatasetBase::new(array![[0.0], [1.0]], array![0, 1, 0]);
    assert!(matches!(cv.estimate(&t, &mismatched, &tree), Err(Error::LengthMismatch { records: 2, targets: 3 })));

    let mut nan = linfa_datasets::iris();
    nan.records[[7, 2]] = f64::NAN;
    assert!(matches!(cv.estimate(&t, &nan, &tree), Err(Error::NonFiniteData { what: "feature", row: 7 })));

    let mut bad_target: RegressionDataset = linfa_datasets::diabetes();
    bad_target.targets[3] = f64::INFINITY;
    let r2 = CrossValidation::builder().metric(Metric::R2).build().unwrap();
    assert!(matches!(
        r2.estimate(&t, &bad_target, &ElasticNetSpace::default()),
        Err(Error::NonFiniteData { what: "target", row: 3 })
    ));

    assert!(matches!(CrossValidation::builder().folds(1).build(), Err(Error::InvalidConfig { what: "folds", .. })));

    let iris = linfa_datasets::iris();
    let rmse = CrossValidation::builder().metric(Metric::Rmse).build().unwrap();
    assert!(matches!(rmse.estimate(&t, &iris, &tree), Err(Error::MetricTask { metric: Metric::Rmse, .. })));

    let auc = CrossValidation::builder().metric(Metric::RocAuc).build().unwrap();
    assert!(matches!(auc.estimate(&t, &iris, &tree), Err(Error::NeedsProbabilities { metric: Metric::RocAuc })));

    let sil = CrossValidation::builder().folds(2).metric(Metric::Silhouette).build().unwrap();
    let few = iris.records.select(Axis(0), &(0..10).collect::<Vec<_>>());
    let many = KMeansSpace { n_clusters: 8, ..KMeansSpace::default() };
    assert!(matches!(sil.estimate(&t, &few, &many), Err(Error::InvalidConfig { what: "n_clusters", .. })));

    // linfa rejects a zero impurity decrease: the model's error, with its fold.
    let invalid = DecisionTreeSpace { min_impurity_decrease: 0.0, ..DecisionTreeSpace::default() };
    assert!(matches!(cv.estimate(&t, &iris, &invalid), Err(Error::Model { fold: 0, .. })));

    // A model that panics is an error too, never a panic of the caller.
    let err = cv.classify(&t, &iris, |_fold| -> Result<Predictions, linfa::Error> { panic!("boom") }).unwrap_err();
    assert!(matches!(&err, Error::Model { fold: 0, .. }));
    assert!(std::error::Error::source(&err).unwrap().to_string().contains("boom"));

    // Predictions of the wrong length.
    let short = cv.classify(&t, &iris, |_fold| Ok::<_, linfa::Error>(Predictions::Labels(array![0, 1])));
    assert!(matches!(short, Err(Error::PredictionShape { .. })));

    let (train, test) = holdout(&iris);
    let held_out = cv.evaluate(&invalid, &train, &test).unwrap_err();
    assert!(matches!(held_out, Error::Model { fold: crate::HOLDOUT_FOLD, .. }));
    assert_eq!(held_out.to_string(), "model failed in the held-out fit");
    let narrow: ClassificationDataset = DatasetBase::new(test.records.select(Axis(1), &[0, 1]), test.targets.clone());
    assert!(matches!(cv.evaluate(&tree, &train, &narrow), Err(Error::PredictionShape { .. })));
}

#[test]
fn a_failing_fold_fails_the_trial_with_its_reason() {
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(3).build().unwrap();
    let study = Study::builder().direction(cv.direction()).seed(1).build().unwrap();
    study
        .optimize_with(Optimize::trials(1).progress_bar(false), |trial: &mut Trial| {
            cv.classify(trial, &data, |fold| {
                if fold.index == 1 {
                    return Err(linfa::Error::Parameters("no second fold".into()));
                }
                Ok(Predictions::Labels(Array1::zeros(fold.valid.nrows())))
            })
        })
        .unwrap();
    let t = &study.trials().unwrap()[0];
    assert_eq!(t.state, TrialState::Failed);
    assert!(t.fail_reason.as_deref().unwrap_or("").contains("no second fold"), "{:?}", t.fail_reason);
    assert_eq!(t.intermediate_values.len(), 1, "the first fold was reported before the failure");
}

#[cfg(feature = "smartcore")]
#[test]
fn ready_smartcore_spaces_fit_and_score_their_defaults() {
    use crate::smartcore_models as sc;
    let iris = linfa_datasets::iris();
    let acc = CrossValidation::builder().folds(3).seed(1).standardize(true).build().unwrap();
    let t = no_trial();
    let forest = sc::RandomForestSpace { n_trees: 20, ..sc::RandomForestSpace::default() };
    let scores = [
        ("tree", acc.estimate(&t, &iris, &sc::DecisionTreeSpace::default()).unwrap()),
        ("forest", acc.estimate(&t, &iris, &forest).unwrap()),
        ("svc", acc.estimate(&t, &iris, &sc::SvcSpace::default()).unwrap()),
        ("logistic", acc.estimate(&t, &iris, &sc::LogisticRegressionSpace::default()).unwrap()),
        ("knn", acc.estimate(&t, &iris, &sc::KnnSpace::default()).unwrap()),
    ];
    for (name, score) in scores {
        assert!(score > 0.85, "smartcore {name} accuracy {score}");
    }
    let loss = CrossValidation::builder().folds(3).seed(1).standardize(true).metric(Metric::LogLoss).build().unwrap();
    let knn_loss = loss.estimate(&t, &iris, &sc::KnnSpace { k: 10, ..sc::KnnSpace::default() }).unwrap();
    assert!(knn_loss < 0.6, "k-NN vote shares as probabilities: log loss {knn_loss}");

    let diabetes = linfa_datasets::diabetes();
    let r2 = CrossValidation::builder().folds(3).seed(1).metric(Metric::R2).build().unwrap();
    let net = r2.estimate(&t, &diabetes, &sc::ElasticNetSpace { alpha: 1e-3, ..sc::ElasticNetSpace::default() }).unwrap();
    let knn = r2.estimate(&t, &diabetes, &sc::KnnRegressorSpace { k: 15, ..sc::KnnRegressorSpace::default() }).unwrap();
    assert!(net > 0.4 && knn > 0.3, "R^2 elastic net {net}, k-NN {knn}");

    let sil = CrossValidation::builder().folds(3).seed(1).metric(Metric::Silhouette).build().unwrap();
    let two = sil.estimate(&t, &iris.records, &sc::KMeansSpace::default()).unwrap();
    assert!(two > 0.6, "silhouette {two}");

    let few: ClassificationDataset = holdout(&iris).1;
    assert!(matches!(
        acc.estimate(&t, &few, &sc::KnnSpace { k: 35, ..sc::KnnSpace::default() }),
        Err(Error::InvalidConfig { what: "k", .. })
    ));
}

#[test]
fn estimator_trait_objects_are_usable_generically() {
    fn score<M: Estimator<Data = ClassificationDataset>>(m: &M) -> f64 {
        let cv = CrossValidation::builder().folds(3).seed(1).build().unwrap();
        cv.estimate(&no_trial(), &linfa_datasets::iris(), m).unwrap()
    }
    let shallow = score(&DecisionTreeSpace { max_depth: Some(1), ..DecisionTreeSpace::default() });
    let deeper = score(&DecisionTreeSpace { max_depth: Some(3), ..DecisionTreeSpace::default() });
    assert!(shallow < 0.7 && deeper > 0.9, "depth 1 {shallow}, depth 3 {deeper}");
}
