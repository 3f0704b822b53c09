//! Study-level behaviour: outcomes, bad input, enqueue, replay, parallel runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::*;

fn quiet(n: u64) -> Optimize {
    Optimize::trials(n).progress_bar(false)
}

fn study(seed: u64) -> Study {
    Study::builder().sampler(RandomSampler).seed(seed).build().unwrap()
}

#[test]
fn objective_outcomes_set_trial_states_and_the_study_goes_on() {
    let s = study(1);
    s.optimize_with(quiet(5), |t: &mut Trial| -> std::result::Result<f64, Box<dyn std::error::Error + Send + Sync>> {
        let x = t.suggest_float("x", Float::new(0.0, 1.0))?;
        match t.number().unwrap() {
            0 => Ok(x),
            1 => Err(Pruned.into()),
            2 => Err("disk full".into()),
            3 => panic!("boom at trial 3"),
            _ => Ok(f64::NAN),
        }
    })
    .unwrap();
    let trials = s.trials().unwrap();
    let states: Vec<TrialState> = trials.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [TrialState::Complete, TrialState::Pruned, TrialState::Failed, TrialState::Failed, TrialState::Failed]
    );
    assert_eq!(trials[2].fail_reason.as_deref(), Some("disk full"));
    assert!(trials[3].fail_reason.as_deref().unwrap().contains("boom at trial 3"), "{:?}", trials[3].fail_reason);
    assert!(trials[4].fail_reason.as_deref().unwrap().contains("not finite"));
    assert_eq!(s.best_trial().unwrap().number, 0);
}

#[test]
fn pruned_error_is_recognised_through_bo_error() {
    let s = study(2);
    s.optimize_with(quiet(1), |t: &mut Trial| -> Result<f64> {
        t.report(1, 3.0)?;
        Err(Pruned.into())
    })
    .unwrap();
    let t = &s.trials().unwrap()[0];
    assert_eq!(t.state, TrialState::Pruned);
    assert_eq!(t.value, Some(3.0), "a pruned trial keeps its last intermediate value");
}

#[test]
fn pruned_error_is_recognised_through_anyhow() {
    let s = study(2);
    s.optimize_with(quiet(2), |t: &mut Trial| -> anyhow::Result<f64> {
        t.report(1, 3.0)?;
        if t.number() == Some(0) { Err(Pruned.into()) } else { Err(anyhow::anyhow!("other")) }
    })
    .unwrap();
    let trials = s.trials().unwrap();
    assert_eq!(trials[0].state, TrialState::Pruned);
    assert_eq!(trials[1].state, TrialState::Failed);
}

#[test]
fn redefining_a_parameter_with_another_distribution_is_an_error() {
    let s = study(3);
    let mut t = s.ask().unwrap();
    t.suggest_float("x", Float::new(0.0, 1.0)).unwrap();
    assert_eq!(t.suggest_float("x", Float::new(0.0, 1.0)).unwrap(), t.params()["x"].as_f64().unwrap());
    let e = t.suggest_float("x", Float::new(0.0, 2.0)).unwrap_err();
    assert!(matches!(e, Error::DistributionMismatch { .. }), "{e}");
    let e = t.suggest_int("x", 0..=3).unwrap_err();
    assert!(matches!(e, Error::DistributionMismatch { .. }));
    s.tell(t, 1.0).unwrap();
    // across trials of one study too
    let mut t = s.ask().unwrap();
    let e = t.suggest_float("x", Float::log(0.1, 1.0)).unwrap_err();
    assert!(matches!(e, Error::DistributionMismatch { .. }));
    // the stored trial was not damaged
    assert_eq!(s.trials().unwrap()[0].distributions["x"], Distribution::Float(Float::new(0.0, 1.0)));
}

#[test]
fn invalid_distributions_fail_the_suggest_call_not_the_process() {
    let s = study(4);
    let mut t = s.ask().unwrap();
    assert!(matches!(t.suggest_float("a", Float::new(1.0, 0.0)), Err(Error::InvalidRange { .. })));
    assert!(matches!(t.suggest_float("b", Float::log(-1.0, 1.0)), Err(Error::InvalidLogRange { .. })));
    assert!(matches!(t.suggest_int("c", Int::stepped(0, 10, 4)), Err(Error::InvalidStep { .. })));
    let empty: [&str; 0] = [];
    assert!(matches!(t.suggest_categorical("d", &empty), Err(Error::EmptyChoices { .. })));
    assert!(t.params().is_empty());
}

#[test]
fn enqueued_parameters_are_used_first_and_unknown_ones_are_sampled() {
    let s = study(5);
    s.enqueue([("x", ParamValue::Float(0.25)), ("opt", ParamValue::from("adam"))]).unwrap();
    s.optimize_with(quiet(3), |t: &mut Trial| -> Result<f64> {
        let x = t.suggest_float("x", Float::new(0.0, 1.0))?;
        let opt = t.suggest_categorical("opt", &["sgd", "adam"])?;
        let n = t.suggest_int("n", 1..=4)?;
        Ok(x + n as f64 + if opt == "adam" { 0.0 } else { 1.0 })
    })
    .unwrap();
    let first = &s.trials().unwrap()[0];
    assert_eq!(first.params["x"], ParamValue::Float(0.25));
    assert_eq!(first.params["opt"], ParamValue::Str("adam".into()));
    assert!(first.params.contains_key("n"));
    assert_eq!(s.trials().unwrap().len(), 3);
}

#[test]
fn an_enqueued_value_outside_the_distribution_fails_that_trial() {
    let s = study(6);
    s.enqueue([("x", 5.0)]).unwrap();
    s.optimize_with(quiet(2), |t: &mut Trial| -> Result<f64> { t.suggest_float("x", Float::new(0.0, 1.0)) })
        .unwrap();
    let trials = s.trials().unwrap();
    assert_eq!(trials[0].state, TrialState::Failed);
    assert!(trials[0].fail_reason.as_deref().unwrap().contains("not in float [0, 1]"));
    assert_eq!(trials[1].state, TrialState::Complete);
}

#[test]
fn a_seeded_study_replays_exactly() {
    let run = |seed| {
        let s = study(seed);
        s.optimize_with(quiet(20), |t: &mut Trial| -> Result<f64> {
            let x = t.suggest_float("x", Float::log(1e-3, 10.0))?;
            let k = t.suggest_int("k", Int::stepped(0, 100, 5))?;
            let c = t.suggest_categorical("c", &[true, false])?;
            Ok(x + k as f64 + c as u8 as f64)
        })
        .unwrap();
        s.trials().unwrap().into_iter().map(|t| t.params).collect::<Vec<_>>()
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9), run(10));
}

#[test]
fn best_trial_follows_the_direction() {
    let s = Study::builder().maximize().sampler(RandomSampler).seed(1).build().unwrap();
    assert!(matches!(s.best_trial(), Err(Error::NoCompletedTrials)));
    for v in [1.0, 5.0, 3.0] {
        let t = s.ask().unwrap();
        s.tell(t, v).unwrap();
    }
    assert_eq!(s.best_value().unwrap(), 5.0);
}

#[test]
fn existing_study_names_need_load_if_exists_and_the_same_direction() {
    let storage: Arc<dyn Storage> = Arc::new(InMemoryStorage::new());
    let make = |load, dir| Study::builder().name("s").shared_storage(storage.clone()).direction(dir).load_if_exists(load).build();
    let first = make(false, Direction::Minimize).unwrap();
    let t = first.ask().unwrap();
    first.tell(t, 1.0).unwrap();
    assert!(matches!(make(false, Direction::Minimize), Err(Error::StudyExists { .. })));
    assert!(matches!(make(true, Direction::Maximize), Err(Error::DirectionMismatch { .. })));
    let again = make(true, Direction::Minimize).unwrap();
    assert_eq!(again.trials().unwrap().len(), 1);
    assert!(matches!(Study::builder().name("  ").build(), Err(Error::InvalidConfig { .. })));
}

#[test]
fn parallel_jobs_run_exactly_the_requested_trials() {
    let s = study(7);
    let calls = AtomicUsize::new(0);
    s.optimize_with(quiet(40).n_jobs(4), |t: &mut Trial| -> Result<f64> {
        calls.fetch_add(1, Ordering::SeqCst);
        let x = t.suggest_float("x", Float::new(-1.0, 1.0))?;
        Ok(x * x)
    })
    .unwrap();
    let trials = s.trials().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 40);
    assert_eq!(trials.len(), 40);
    let mut numbers: Vec<u64> = trials.iter().map(|t| t.number).collect();
    numbers.dedup();
    assert_eq!(numbers, (0..40).collect::<Vec<_>>());
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
}

#[test]
fn timeout_and_stop_end_the_run() {
    let s = study(8);
    s.optimize_with(Optimize::default().timeout(Duration::from_millis(150)).progress_bar(false), |_t: &mut Trial| -> Result<f64> {
        std::thread::sleep(Duration::from_millis(20));
        Ok(1.0)
    })
    .unwrap();
    let n = s.trials().unwrap().len();
    assert!((2..=12).contains(&n), "{n} trials in 150 ms of 20 ms trials");

    let s = study(9);
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    let opts = quiet(100).callback(move |study, t| {
        seen2.fetch_add(1, Ordering::SeqCst);
        if t.number == 4 {
            study.stop();
        }
    });
    s.optimize_with(opts, |_t: &mut Trial| -> Result<f64> { Ok(0.0) }).unwrap();
    assert_eq!(s.trials().unwrap().len(), 5);
    assert_eq!(seen.load(Ordering::SeqCst), 5);
}

#[test]
fn optimize_rejects_bad_options() {
    let s = study(10);
    let f = |_t: &mut Trial| -> Result<f64> { Ok(0.0) };
    assert!(matches!(s.optimize_with(quiet(1).n_jobs(0), f), Err(Error::InvalidConfig { .. })));
}

#[test]
fn fixed_trials_test_an_objective_without_a_study() {
    let mut p = Params::new();
    p.insert("lr".into(), ParamValue::Float(0.01));
    p.insert("opt".into(), ParamValue::Str("adam".into()));
    let mut t = Trial::fixed(p);
    assert_eq!(t.suggest_float("lr", Float::log(1e-4, 1.0)).unwrap(), 0.01);
    assert_eq!(t.suggest_categorical("opt", &["sgd", "adam"]).unwrap(), "adam");
    assert!(matches!(t.suggest_int("n", 1..=3), Err(Error::MissingFixedParam { .. })));
    assert!(matches!(t.suggest_float("lr", Float::new(0.0, 1.0)), Err(Error::DistributionMismatch { .. })));
    t.report(1, 0.5).unwrap();
    assert!(!t.should_prune().unwrap());
    t.report_or_prune(2, 0.4).unwrap();
    assert_eq!((t.direction(), t.study_seed()), (None, None));
    assert!(matches!(t.report(2, f64::NAN), Err(Error::NonFiniteValue { .. })));
}

#[test]
fn ask_and_tell_drive_a_loop_we_do_not_own() {
    let s = study(11);
    for _ in 0..5 {
        let mut t = s.ask().unwrap();
        let x = t.suggest_float("x", Float::new(0.0, 1.0)).unwrap();
        t.set_user_attr("note", format!("x={x:.2}")).unwrap();
        let reporter = t.reporter();
        std::thread::spawn(move || reporter.report(1, 0.5)).join().unwrap().unwrap();
        s.tell(t, x).unwrap();
    }
    let trials = s.trials().unwrap();
    assert_eq!(trials.len(), 5);
    assert!(trials.iter().all(|t| t.intermediate_values[&1] == 0.5 && t.user_attrs.contains_key("note")));
    // A finished trial cannot be written again.
    let id = trials[0].id;
    assert!(matches!(s.storage().report(id, 2, 1.0), Err(Error::TrialFinished { .. })));
    assert!(matches!(s.storage().finish(id, &Outcome::Complete(0.0)), Err(Error::TrialFinished { .. })));
    // NaN via tell fails the trial
    let t = s.ask().unwrap();
    assert_eq!(s.tell(t, f64::INFINITY).unwrap().state, TrialState::Failed);
}

#[test]
fn storage_reads_are_incremental() {
    let st = InMemoryStorage::new();
    let sid = st.create_study("inc", Direction::Minimize).unwrap();
    for _ in 0..10 {
        let t = st.create_trial(sid).unwrap();
        st.finish(t.id, &Outcome::Complete(1.0)).unwrap();
    }
    let (all, c) = st.trials_since(sid, Cursor::default()).unwrap();
    assert_eq!(all.len(), 10);
    let t = st.create_trial(sid).unwrap();
    st.report(t.id, 1, 2.0).unwrap();
    let (changed, c2) = st.trials_since(sid, c).unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].number, 10);
    assert!(st.trials_since(sid, c2).unwrap().0.is_empty());
}

#[test]
fn open_storage_rejects_unknown_urls() {
    assert!(matches!(open_storage("redis://x"), Err(Error::InvalidStorageUrl { .. })));
    assert!(matches!(open_storage("sqlite:"), Err(Error::InvalidStorageUrl { .. })));
    assert!(open_storage("memory:").is_ok());
}

#[test]
fn heartbeat_settings_are_validated_once_in_build() {
    let ms = Duration::from_millis;
    let err = |b: StudyBuilder| matches!(b.build(), Err(Error::InvalidConfig { .. }));
    assert!(err(Study::builder().heartbeat(ms(100), ms(100))), "grace must exceed the interval");
    assert!(err(Study::builder().heartbeat(ms(0), ms(100))), "the interval must be positive");
    assert!(err(Study::builder().retry_failed_trials(2)), "retries need heartbeats");
    assert!(Study::builder().retry_failed_trials(0).build().is_ok(), "zero retries need nothing");
    assert!(Study::builder().heartbeat(ms(100), ms(1000)).retry_failed_trials(3).build().is_ok());
}

/// A trial whose handle is dropped stops beating; after the grace period the next `ask`
/// fails it and runs a retry with its parameters first; a retry is retried at most
/// `max_retries` times. Sleeps only wait for the grace period to pass; nothing asserts a time.
pub(crate) fn stale_trials_are_failed_and_retried(storage: Arc<dyn Storage>) -> Result<()> {
    use crate::storage::{RETRIED_FROM_ATTR, RETRY_ATTR};
    let (interval, grace) = (Duration::from_millis(50), Duration::from_millis(250));
    let wait = || std::thread::sleep(grace + Duration::from_millis(300));
    let s = Study::builder()
        .shared_storage(storage)
        .name("retries")
        .sampler(RandomSampler)
        .heartbeat(interval, grace)
        .retry_failed_trials(1)
        .build()?;
    let mut first = s.ask()?;
    let x = first.suggest_float("x", Float::new(0.0, 1.0))?;
    let first_number = first.number().unwrap_or(u64::MAX);
    drop(first); // the worker "dies": no tell, no more heartbeats
    wait();
    let mut retry = s.ask()?;
    let stored = s.storage().trial(s.trials()?[first_number as usize].id)?;
    assert_eq!(stored.state, TrialState::Failed, "the abandoned trial is failed");
    assert!(stored.fail_reason.as_deref().is_some_and(|r| r.contains("heartbeat")), "{:?}", stored.fail_reason);
    assert_eq!(retry.suggest_float("x", Float::new(0.0, 1.0))?, x, "the retry has the same parameters");
    let retry_number = retry.number().unwrap_or(u64::MAX);
    let record = s.storage().trial(s.trials()?[retry_number as usize].id)?;
    assert_eq!(record.system_attrs.get(RETRIED_FROM_ATTR).and_then(|v| v.as_u64()), Some(first_number));
    assert_eq!(record.system_attrs.get(RETRY_ATTR).and_then(|v| v.as_u64()), Some(1));
    drop(retry); // dies too: with max_retries = 1 it is not retried again
    wait();
    let fresh = s.ask()?;
    let trials = s.trials()?;
    assert_eq!(trials[retry_number as usize].state, TrialState::Failed);
    assert_eq!(trials.len(), 3, "no second retry: {trials:?}");
    assert!(fresh.params().is_empty() && !trials[2].system_attrs.contains_key(RETRIED_FROM_ATTR));
    s.tell(fresh, 1.0)?;
    Ok(())
}

/// `n_jobs` threads run `n_trials` trials (the first `enqueued` of them enqueued) on one
/// study in `storage`: no trial is lost or run twice, and the enqueued values are used.
pub(crate) fn threads_share_one_storage(storage: Arc<dyn Storage>, enqueued: u64, n_trials: u64) -> Result<()> {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::Mutex;
    let study = Study::builder().shared_storage(storage).name("threads").build()?;
    for i in 0..enqueued {
        study.enqueue([("x", i as f64 * 0.25)])?;
    }
    let runs: Mutex<HashMap<u64, usize>> = Mutex::new(HashMap::new());
    study.optimize_with(quiet(n_trials).n_jobs(4), |t: &mut Trial| {
        let number = t.number().expect("a study trial has a number");
        *runs.lock().expect("lock").entry(number).or_default() += 1;
        let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
        t.report(0, x)?;
        Ok::<_, Error>(x * x)
    })?;
    let trials = study.trials()?;
    assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..n_trials).collect::<Vec<u64>>());
    assert!(trials.iter().all(|t| t.state == TrialState::Complete));
    let runs = runs.into_inner().expect("lock");
    assert_eq!(runs.len() as u64, n_trials);
    assert!(runs.values().all(|&n| n == 1), "every trial runs exactly once");
    let used: BTreeMap<u64, f64> = trials[..enqueued as usize]
        .iter()
        .map(|t| (t.number, t.params["x"].as_f64().unwrap_or(f64::NAN)))
        .collect();
    assert_eq!(used, (0..enqueued).map(|i| (i, i as f64 * 0.25)).collect(), "enqueued values are used");
    Ok(())
}

#[test]
fn stale_in_memory_trials_are_failed_and_retried() -> Result<()> {
    stale_trials_are_failed_and_retried(Arc::new(InMemoryStorage::new()))
}

#[cfg(feature = "sqlite")]
#[test]
fn stale_sqlite_trials_are_failed_and_retried() -> Result<()> {
    let dir = tempfile::tempdir().map_err(Error::storage)?;
    stale_trials_are_failed_and_retried(Arc::new(SqliteStorage::open(dir.path().join("retries.db"))?))
}

#[test]
fn a_trial_failed_by_another_worker_does_not_stop_the_run() -> Result<()> {
    let s = Study::builder()
        .sampler(RandomSampler)
        .heartbeat(Duration::from_millis(100), Duration::from_secs(60))
        .build()?;
    let storage = s.storage().clone();
    s.optimize_with(quiet(3), |t: &mut Trial| {
        let x = t.suggest_float("x", Float::new(0.0, 1.0))?;
        if t.number() == Some(1) {
            // What another worker does when this trial's heartbeats come too late.
            storage.finish(t.id().unwrap_or(u64::MAX), &Outcome::Failed("the worker stopped sending heartbeats".into()))?;
        }
        Ok::<_, Error>(x)
    })?;
    let states: Vec<TrialState> = s.trials()?.iter().map(|t| t.state).collect();
    assert_eq!(states, vec![TrialState::Complete, TrialState::Failed, TrialState::Complete]);
    Ok(())
}

/// A storage whose reads of the study fail once `broken` is set: a database gone away.
struct BreakableStorage {
    inner: InMemoryStorage,
    broken: std::sync::atomic::AtomicBool,
}

impl BreakableStorage {
    fn check(&self) -> Result<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(Error::storage(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "database is gone")));
        }
        Ok(())
    }
}

impl Storage for BreakableStorage {
    fn create_study(&self, name: &str, direction: Direction) -> Result<StudyId> {
        self.inner.create_study(name, direction)
    }
    fn study(&self, name: &str) -> Result<Option<StudyRecord>> {
        self.inner.study(name)
    }
    fn studies(&self) -> Result<Vec<StudyRecord>> {
        self.inner.studies()
    }
    fn delete_study(&self, name: &str) -> Result<()> {
        self.inner.delete_study(name)
    }
    fn create_trial(&self, study: StudyId) -> Result<FrozenTrial> {
        self.inner.create_trial(study)
    }
    fn enqueue_trial_with_attrs(
        &self,
        study: StudyId,
        fixed: &crate::storage::FixedParams,
        system_attrs: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<FrozenTrial> {
        self.inner.enqueue_trial_with_attrs(study, fixed, system_attrs)
    }
    fn claim_waiting_trial(&self, study: StudyId) -> Result<Option<FrozenTrial>> {
        self.inner.claim_waiting_trial(study)
    }
    fn set_param(&self, trial: TrialId, name: &str, d: &Distribution, value: &ParamValue) -> Result<()> {
        self.inner.set_param(trial, name, d, value)
    }
    fn report(&self, trial: TrialId, step: u64, value: f64) -> Result<()> {
        self.inner.report(trial, step, value)
    }
    fn set_user_attr(&self, trial: TrialId, key: &str, value: &serde_json::Value) -> Result<()> {
        self.inner.set_user_attr(trial, key, value)
    }
    fn finish(&self, trial: TrialId, outcome: &Outcome) -> Result<FrozenTrial> {
        self.inner.finish(trial, outcome)
    }
    fn trial(&self, trial: TrialId) -> Result<FrozenTrial> {
        self.inner.trial(trial)
    }
    fn trials_since(&self, study: StudyId, cursor: Cursor) -> Result<(Vec<FrozenTrial>, Cursor)> {
        self.check()?;
        self.inner.trials_since(study, cursor)
    }
    fn heartbeat(&self, trial: TrialId) -> Result<()> {
        self.inner.heartbeat(trial)
    }
    fn fail_stale_trials(&self, study: StudyId, grace: Duration) -> Result<Vec<FrozenTrial>> {
        self.inner.fail_stale_trials(study, grace)
    }
}

#[test]
fn should_prune_surfaces_a_dead_storage_instead_of_answering_false() -> Result<()> {
    let storage = Arc::new(BreakableStorage { inner: InMemoryStorage::new(), broken: false.into() });
    let s = Study::builder().shared_storage(storage.clone()).pruner(MedianPruner::default()).seed(1).build()?;
    let t = s.ask()?;
    t.report(0, 1.0)?;
    assert!(!t.should_prune()?);
    storage.broken.store(true, Ordering::SeqCst);
    assert!(matches!(t.should_prune(), Err(Error::Storage(_))));
    assert!(matches!(t.reporter().should_prune(), Err(Error::Storage(_))));
    let e = t.report_or_prune(1, 1.0).unwrap_err();
    assert!(matches!(e, Error::Storage(_)) && !e.is_pruned(), "{e}");
    // The objective's `?` fails the trial with the storage error as its reason.
    let id = t.id().unwrap_or(u64::MAX);
    s.tell_result(t, Err(e))?;
    let stored = storage.trial(id)?;
    assert_eq!(stored.state, TrialState::Failed);
    assert!(stored.fail_reason.as_deref().is_some_and(|r| r.contains("database is gone")), "{stored:?}");
    Ok(())
}

/// An adapter's error: bo-core's error behind `#[error(transparent)]`, as bo-linfa, bo-burn
/// and bo-tch wrap it.
#[derive(Debug, thiserror::Error)]
enum AdapterError {
    #[error(transparent)]
    Core(#[from] Error),
}

#[test]
fn is_pruned_recognizes_every_pruned_form_by_type_and_no_text() {
    fn boxed(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Box<dyn std::error::Error + Send + Sync> {
        e.into()
    }
    let pruned = [
        boxed(Pruned),
        boxed(Error::from(Pruned)),
        boxed(AdapterError::from(Error::from(Pruned))),
        boxed(anyhow::Error::from(Pruned)),
        boxed(anyhow::Error::from(Error::from(Pruned))),
        boxed(anyhow::Error::from(AdapterError::from(Error::from(Pruned)))),
        boxed(anyhow::Error::from(Pruned).context("epoch 3")),
    ];
    for e in &pruned {
        assert!(is_pruned(e.as_ref()), "{e:?}");
    }
    assert!(Error::from(Pruned).is_pruned());
    let anyhow_pruned = anyhow::Error::from(AdapterError::from(Error::from(Pruned)));
    assert!(is_pruned(anyhow_pruned.as_ref()));
    let not_pruned = [
        boxed("trial was pruned"),
        boxed(anyhow::anyhow!("trial was pruned")),
        boxed(Error::NoCompletedTrials),
        boxed(AdapterError::from(Error::NonFiniteValue { value: f64::NAN })),
    ];
    for e in &not_pruned {
        assert!(!is_pruned(e.as_ref()), "{e:?}");
    }
    assert!(!Error::NoCompletedTrials.is_pruned());
}

#[test]
fn a_pruned_adapter_error_prunes_and_a_pruned_message_fails() -> Result<()> {
    let s = study(11);
    s.optimize_with(quiet(3), |t: &mut Trial| -> anyhow::Result<f64> {
        t.report(0, 2.0)?;
        match t.number() {
            Some(0) => Err(AdapterError::from(Error::from(Pruned)).into()),
            Some(1) => Err(anyhow::anyhow!("trial was pruned")),
            _ => Ok(1.0),
        }
    })?;
    let states: Vec<TrialState> = s.trials()?.iter().map(|t| t.state).collect();
    assert_eq!(states, [TrialState::Pruned, TrialState::Failed, TrialState::Complete]);
    Ok(())
}

/// Runs trial 0 (good: loss 0 at every step) to completion, then trial 1 (bad: loss 1) under
/// `pruner`, and returns the steps trial 1 reported before it was pruned.
fn steps_before_pruned(pruner: impl Pruner + 'static) -> Vec<u64> {
    let s = Study::builder().pruner(pruner).sampler(RandomSampler).seed(1).build().unwrap();
    s.optimize_with(quiet(2), |t: &mut Trial| -> Result<f64> {
        let loss = if t.number() == Some(0) { 0.0 } else { 1.0 };
        for epoch in 0..8 {
            t.report_or_prune(epoch, loss)?;
        }
        Ok(loss)
    })
    .unwrap();
    let trials = s.trials().unwrap();
    assert_eq!(trials[1].state, TrialState::Pruned, "{trials:?}");
    trials[1].intermediate_values.keys().copied().collect()
}

#[test]
fn steps_count_from_0_and_n_warmup_steps_counts_the_reports_exempt() {
    // The first report is step 0; with no warm-up it is judged at once.
    let median = |w| MedianPruner::builder().n_startup_trials(1).n_warmup_steps(w).build().unwrap();
    assert_eq!(steps_before_pruned(median(0)), [0]);
    // n_warmup_steps(3): three reports (steps 0, 1, 2) pass unjudged, step 3 is judged.
    assert_eq!(steps_before_pruned(median(3)), [0, 1, 2, 3]);
    let threshold = ThresholdPruner::builder().upper(0.5).n_warmup_steps(2).build().unwrap();
    assert_eq!(steps_before_pruned(threshold), [0, 1, 2]);
}

#[test]
fn a_first_rung_at_min_resource_is_judged_at_that_step() {
    // min_resource(1): the first rung is step 1, the second report.
    let asha = SuccessiveHalvingPruner::builder().min_resource(1).reduction_factor(2).build().unwrap();
    assert_eq!(steps_before_pruned(asha), [0, 1]);
    let asha = SuccessiveHalvingPruner::builder().min_resource(3).reduction_factor(2).build().unwrap();
    assert_eq!(steps_before_pruned(asha), [0, 1, 2, 3]);
}
