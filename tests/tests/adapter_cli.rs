//! An adapter writes, the CLI reads: bo-linfa's cross-validated objective tunes a decision
//! tree into a SQLite file (one intermediate value per fold), and the `bo` commands read that
//! file back.

use bo_core::{MedianPruner, Optimize, Study, TpeSampler, TrialState};
use bo_e2e_tests::output;
use bo_linfa::linfa_models::DecisionTreeSpace;
use bo_linfa::{CrossValidation, Metric};

#[test]
fn the_cli_reads_a_study_that_bo_linfa_wrote_to_sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}", dir.path().join("trees.db").display());
    let data = linfa_datasets::iris();
    let cv = CrossValidation::builder().folds(4).metric(Metric::Accuracy).seed(3).build()?;
    let study = Study::builder()
        .name("iris-tree")
        .direction(cv.direction())
        .sampler(TpeSampler::default())
        .pruner(MedianPruner::default())
        .shared_storage(bo_core::open_storage(&url)?)
        .seed(42)
        .build()?;
    study.optimize_with(Optimize::trials(8).progress_bar(false), cv.objective::<DecisionTreeSpace>(&data))?;
    drop(study);

    // A fresh process would open the file by its URL, as `bo --storage sqlite:…` does.
    let storage = bo_core::open_storage(&url)?;
    let studies = output(|out| bo_cli::write_studies(storage.as_ref(), out));
    assert!(studies.contains("iris-tree"), "{studies}");
    let table = output(|out| bo_cli::write_trials(storage.as_ref(), "iris-tree", out));
    assert_eq!(table.lines().count(), 2 + 8, "header, rule, one line per trial:\n{table}");
    let exported = output(|out| bo_cli::write_export(storage.as_ref(), "iris-tree", bo_cli::ExportFormat::Json, out));
    let trials: Vec<bo_core::FrozenTrial> = serde_json::from_str(&exported)?;
    assert_eq!(trials.len(), 8);
    for t in trials.iter().filter(|t| t.state == TrialState::Complete) {
        assert_eq!(t.intermediate_values.len(), 4, "one report per fold");
        assert!(!t.params.is_empty());
    }
    let best: serde_json::Value = serde_json::from_str(&output(|out| bo_cli::write_best(storage.as_ref(), "iris-tree", true, out)))?;
    assert!(best["value"].as_f64().is_some_and(|v| v > 0.8), "{best}");
    Ok(())
}
