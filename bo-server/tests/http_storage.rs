//! `bo_core::HttpStorage` against a real server on loopback: the storage contract suite,
//! and a real multi-threaded study.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use bo_core::{Float, HttpStorage, Int, Optimize, Storage, Study, TpeSampler, Trial, TrialState};
use common::Fixture;

#[test]
fn http_storage_passes_the_storage_suite_with_one_user_per_check() {
    let fx = Fixture::new(true);
    let n = AtomicU64::new(0);
    bo_core::testing::storage_suite(|| {
        // A fresh user is a fresh namespace: every check sees an empty storage.
        let token = fx.user(&format!("u{}", n.fetch_add(1, Ordering::SeqCst)));
        let url = format!("http://{token}@{}", fx.server.addr());
        Box::new(HttpStorage::open(&url).unwrap())
    });
}

#[test]
fn http_storage_passes_the_storage_suite_without_auth() {
    let fx = Fixture::new(false);
    let n = AtomicU64::new(0);
    // No auth: one namespace, so one server per check.
    let servers = std::sync::Mutex::new(Vec::new());
    bo_core::testing::storage_suite(|| {
        n.fetch_add(1, Ordering::SeqCst);
        let f = Fixture::new(false);
        let s = HttpStorage::open(&f.url()).unwrap();
        servers.lock().unwrap().push(f);
        Box::new(s)
    });
    assert_eq!(n.load(Ordering::SeqCst), bo_core::testing::storage_check_count() as u64);
    drop(fx);
}

#[test]
fn a_tpe_study_with_four_threads_runs_over_http() {
    let fx = Fixture::new(true);
    let token = fx.user("worker");
    let storage = bo_core::open_storage(&format!("http://{token}@{}", fx.server.addr())).unwrap();
    let study = Study::builder()
        .name("quadratic")
        .sampler(TpeSampler::builder().n_startup_trials(8).build().unwrap())
        .shared_storage(storage.clone())
        .seed(3)
        .build()
        .unwrap();
    study
        .optimize_with(Optimize::trials(40).n_jobs(4).progress_bar(false), |t: &mut Trial| {
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            let k = t.suggest_int("k", Int::new(0, 4))?;
            for step in 0..3 {
                t.report(step, x * x + step as f64)?;
            }
            Ok::<_, bo_core::Error>((x - 1.0).powi(2) + k as f64)
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 40);
    assert!(trials.iter().all(|t| t.state == TrialState::Complete), "every trial completes");
    let numbers: BTreeSet<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..40).collect(), "no duplicate or missing trial numbers");
    let ids: BTreeSet<u64> = trials.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 40);
    assert!(trials.iter().all(|t| t.intermediate_values.len() == 3 && t.params.len() == 2));
    // The server stored it under the user's namespace; the user sees the plain name.
    let raw = fx.state.storage().study("worker/quadratic").unwrap().expect("namespaced in the storage");
    assert_eq!(raw.n_trials, 40);
    assert_eq!(storage.studies().unwrap().iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["quadratic"]);
    // Resuming over HTTP loads the same study.
    let again = Study::builder().name("quadratic").shared_storage(storage).load_if_exists(true).build().unwrap();
    assert_eq!(again.trials().unwrap().len(), 40);
    assert!(again.best_value().unwrap() < 2.0);
}
