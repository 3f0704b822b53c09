//! Rust workers over `bo_core::HttpStorage` against a real `bo-server` on loopback: the
//! storage contract suite, a multi-threaded study on SQLite, and workers on a server backed
//! by PostgreSQL whose study the CLI then reads from the database.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use bo_core::{Float, HttpStorage, Int, Optimize, Storage, Study, TpeSampler, Trial, TrialState};
use bo_e2e_tests::{Server, output};

#[test]
fn http_storage_passes_the_storage_suite_with_one_user_per_check() {
    let fx = Server::sqlite(true);
    let n = AtomicU64::new(0);
    bo_core::testing::storage_suite(|| {
        // A fresh user is a fresh namespace: every check sees an empty storage.
        let token = fx.user(&format!("u{}", n.fetch_add(1, Ordering::SeqCst)));
        Box::new(HttpStorage::open(&fx.http_storage_url(&token)).unwrap())
    });
}

#[test]
fn http_storage_passes_the_storage_suite_without_auth() {
    let fx = Server::sqlite(false);
    let n = AtomicU64::new(0);
    // No auth: one namespace, so one server per check.
    let servers = std::sync::Mutex::new(Vec::new());
    bo_core::testing::storage_suite(|| {
        n.fetch_add(1, Ordering::SeqCst);
        let f = Server::sqlite(false);
        let s = HttpStorage::open(&f.url()).unwrap();
        servers.lock().unwrap().push(f);
        Box::new(s)
    });
    assert_eq!(n.load(Ordering::SeqCst), bo_core::testing::storage_check_count() as u64);
    drop(fx);
}

#[test]
fn a_tpe_study_with_four_threads_runs_over_http() {
    let fx = Server::sqlite(true);
    let token = fx.user("worker");
    let storage = bo_core::open_storage(&fx.http_storage_url(&token)).unwrap();
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

/// Two workers (two threads each, each worker its own `HttpStorage`) against a server whose
/// storage is a PostgreSQL database (`bo serve --storage postgres://…`); then `bo trials` and
/// `bo best` read the study straight from the database, under the user's namespace.
#[test]
fn rust_workers_over_http_fill_a_postgres_study_that_the_cli_reads() {
    let Some(fx) = Server::postgres("e2e_http_workers", true) else { return };
    let token = fx.user("ana");
    let open = |seed: u64| {
        let storage = HttpStorage::open(&fx.http_storage_url(&token)).unwrap();
        Study::builder().name("bowl").storage(storage).load_if_exists(true).seed(seed).build().unwrap()
    };
    open(0); // created once, loaded by each worker
    std::thread::scope(|s| {
        for w in 0..2 {
            let study = open(11 + w);
            s.spawn(move || {
                study
                    .optimize_with(Optimize::trials(12).n_jobs(2).progress_bar(false), |t: &mut Trial| {
                        let x = t.suggest_float("x", Float::new(-5.0, 10.0))?;
                        let y = t.suggest_float("y", Float::new(0.0, 15.0))?;
                        t.report(0, x.abs() + y)?;
                        Ok::<_, bo_core::Error>((x - 1.0).powi(2) + (y - 2.0).powi(2))
                    })
                    .unwrap();
            });
        }
    });
    let db = fx.open_storage();
    let (record, trials) = bo_core::storage::load_study(db.as_ref(), "ana/bowl").unwrap();
    assert_eq!(record.n_trials, 24);
    assert_eq!(trials.iter().map(|t| t.number).collect::<BTreeSet<_>>(), (0..24).collect());
    assert!(trials.iter().all(|t| t.state == TrialState::Complete && t.intermediate_values.len() == 1));
    let table = output(|out| bo_cli::write_trials(db.as_ref(), "ana/bowl", out));
    assert_eq!(table.lines().count(), 2 + 24, "header, rule, one line per trial:\n{table}");
    let best = output(|out| bo_cli::write_best(db.as_ref(), "ana/bowl", true, out));
    let best: serde_json::Value = serde_json::from_str(&best).unwrap();
    let min = trials.iter().filter_map(|t| t.value).fold(f64::INFINITY, f64::min);
    assert_eq!(best["value"].as_f64(), Some(min));
    assert!(best["params"]["x"].is_number() && best["params"]["y"].is_number());
}
