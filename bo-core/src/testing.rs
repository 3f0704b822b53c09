//! Contract test suites that every implementation of a core trait must pass
//! (feature `testing`).
//!
//! Call them from a `#[test]` of the implementation; they panic with a message that names
//! the broken rule.

use std::collections::BTreeMap;

use crate::error::{Error, Pruned, Result};
use crate::space::{Categorical, Distribution, Float, Int, ParamValue};
use crate::storage::{Cursor, FIXED_PARAMS_ATTR, FixedParams, Storage};
use crate::trial_record::{Direction, Outcome, TrialState};

/// One check of [`storage_suite`]: its name and body.
type StorageCheck = (&'static str, fn(&dyn Storage) -> Result<()>);

const STORAGE_CHECKS: &[StorageCheck] = &[
    ("trial numbers count up without gaps", numbers_count_up_without_gaps),
    ("an enqueued trial is claimed once", enqueued_trial_is_claimed_once),
    ("a finished trial rejects writes", finished_trial_rejects_writes),
    ("unknown ids are errors", unknown_ids_are_errors),
    ("trials_since returns only changed trials", trials_since_is_incremental),
    ("a report of the same step overwrites", report_overwrites_the_same_step),
    ("user attributes round-trip", user_attrs_round_trip),
    ("params and distributions round-trip", params_round_trip),
    ("outcomes are stored", outcomes_are_stored),
    ("a taken study name is an error", study_name_is_unique),
    ("delete removes a study and its trials", delete_removes_study_and_trials),
    ("a trial whose heartbeats stop is failed once", stale_trials_are_failed_once),
    ("an enqueued trial keeps its system attributes", enqueued_system_attrs_round_trip),
];

/// Runs the [`Storage`] contract on fresh storages from `make` (one per check).
///
/// Checks: numbering `0..n` without gaps, an enqueued trial claimed exactly once, writes to a
/// finished trial are [`Error::TrialFinished`], unknown ids, incremental
/// [`Storage::trials_since`], report overwrite of a step, user attributes, params and
/// distributions, outcomes, [`Error::StudyExists`], deletion, and heartbeats (a trial whose
/// heartbeats stop is failed once, by [`Storage::fail_stale_trials`]; one that never beat is not).
///
/// # Panics
///
/// On the first broken rule, with the check's name.
///
/// ```
/// bo_core::testing::storage_suite(|| Box::new(bo_core::InMemoryStorage::new()));
/// ```
pub fn storage_suite(make: impl Fn() -> Box<dyn Storage>) {
    for (name, check) in STORAGE_CHECKS {
        let storage = make();
        if let Err(e) = check(storage.as_ref()) {
            panic!("storage suite: `{name}` failed with error: {e}");
        }
    }
}

/// How many checks [`storage_suite`] runs (it calls its factory once per check).
pub fn storage_check_count() -> usize {
    STORAGE_CHECKS.len()
}

fn numbers_count_up_without_gaps(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("numbers", Direction::Minimize)?;
    let other = s.create_study("other", Direction::Minimize)?;
    let mut numbers = Vec::new();
    for i in 0..10 {
        let t = if i % 3 == 0 { s.enqueue_trial(study, &FixedParams::new())? } else { s.create_trial(study)? };
        numbers.push(t.number);
        s.create_trial(other)?;
    }
    assert_eq!(numbers, (0..10).collect::<Vec<u64>>(), "trial numbers must be 0, 1, 2, … per study");
    let (trials, _) = s.trials_since(study, Cursor::default())?;
    let read: Vec<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(read, (0..10).collect::<Vec<u64>>(), "trials_since must return every trial once, by number");
    let ids: std::collections::BTreeSet<u64> = trials.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 10, "trial ids must be distinct");
    assert_eq!(s.study("numbers")?.map(|r| r.n_trials), Some(10), "n_trials must count every trial");
    Ok(())
}

fn enqueued_trial_is_claimed_once(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("enqueue", Direction::Minimize)?;
    assert!(s.claim_waiting_trial(study)?.is_none(), "an empty study has nothing to claim");
    // 9.906237846244615 is one a fast, inexact JSON float parser reads one bit off.
    let exact = 9.906237846244615_f64;
    let fixed: FixedParams =
        [("x".to_string(), serde_json::json!(1.5)), ("y".to_string(), serde_json::json!(exact))].into_iter().collect();
    let a = s.enqueue_trial(study, &fixed)?;
    let b = s.enqueue_trial(study, &FixedParams::new())?;
    assert_eq!(a.state, TrialState::Waiting, "an enqueued trial must be WAITING");
    assert_eq!(
        a.system_attrs.get(FIXED_PARAMS_ATTR),
        Some(&serde_json::json!({"x": 1.5, "y": exact})),
        "an enqueued trial must keep its fixed params"
    );
    let first = s.claim_waiting_trial(study)?.expect("a waiting trial must be claimable");
    assert_eq!((first.id, first.state), (a.id, TrialState::Running), "the oldest waiting trial is claimed first");
    assert!(first.started_at.is_some(), "a claimed trial must have a start time");
    assert_eq!(first.system_attrs, a.system_attrs, "claiming must keep the fixed params");
    let y = first.system_attrs[FIXED_PARAMS_ATTR]["y"].as_f64();
    assert_eq!(y.map(f64::to_bits), Some(exact.to_bits()), "a fixed float must come back bit for bit");
    let second = s.claim_waiting_trial(study)?.expect("the second waiting trial must be claimable");
    assert_eq!(second.id, b.id);
    assert!(s.claim_waiting_trial(study)?.is_none(), "a waiting trial must be claimed only once");
    assert_eq!(s.trial(a.id)?.state, TrialState::Running);
    Ok(())
}

fn finished_trial_rejects_writes(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("finished", Direction::Minimize)?;
    let t = s.create_trial(study)?;
    s.finish(t.id, &Outcome::Complete(1.0))?;
    let d = Distribution::Float(Float::new(0.0, 1.0));
    let finished = |r: Result<()>| matches!(r, Err(Error::TrialFinished { trial }) if trial == t.id);
    assert!(finished(s.set_param(t.id, "x", &d, &ParamValue::Float(0.5))), "set_param after finish");
    assert!(finished(s.report(t.id, 0, 1.0)), "report after finish");
    assert!(finished(s.set_user_attr(t.id, "k", &serde_json::json!(1))), "set_user_attr after finish");
    assert!(finished(s.finish(t.id, &Outcome::Complete(2.0)).map(|_| ())), "finish after finish");
    let after = s.trial(t.id)?;
    assert_eq!(
        (after.state, after.value, after.params.len()),
        (TrialState::Complete, Some(1.0), 0),
        "a finished trial must not change"
    );
    Ok(())
}

fn unknown_ids_are_errors(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("unknown", Direction::Minimize)?;
    let t = s.create_trial(study)?;
    let bad = t.id + 1000;
    assert!(matches!(s.trial(bad), Err(Error::UnknownTrial { trial }) if trial == bad), "trial of an unknown id");
    assert!(matches!(s.report(bad, 0, 1.0), Err(Error::UnknownTrial { .. })), "report to an unknown id");
    assert!(
        matches!(s.finish(bad, &Outcome::Complete(1.0)), Err(Error::UnknownTrial { .. })),
        "finish of an unknown id"
    );
    assert!(
        matches!(s.create_trial(study + 1000), Err(Error::UnknownStudy { .. })),
        "create_trial in an unknown study"
    );
    assert!(
        matches!(s.trials_since(study + 1000, Cursor::default()), Err(Error::UnknownStudy { .. })),
        "trials_since of an unknown study"
    );
    assert!(s.study("nope")?.is_none(), "study of an unknown name");
    Ok(())
}

fn trials_since_is_incremental(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("since", Direction::Minimize)?;
    let ids: Vec<u64> = (0..5).map(|_| s.create_trial(study).map(|t| t.id)).collect::<Result<_>>()?;
    let (all, cursor) = s.trials_since(study, Cursor::default())?;
    assert_eq!(all.len(), 5);
    let (none, same) = s.trials_since(study, cursor)?;
    assert!(none.is_empty(), "nothing changed, so nothing must be returned (got {})", none.len());
    assert_eq!(same, cursor, "the cursor must not move when nothing changed");

    s.report(ids[1], 3, 0.25)?;
    s.finish(ids[3], &Outcome::Complete(7.0))?;
    s.report(ids[1], 4, 0.5)?;
    let (changed, cursor2) = s.trials_since(study, cursor)?;
    let numbers: Vec<u64> = changed.iter().map(|t| t.number).collect();
    assert_eq!(numbers, vec![1, 3], "only the changed trials, once each, by number");
    assert_eq!(changed[0].intermediate_values, BTreeMap::from([(3, 0.25), (4, 0.5)]), "changed trials come whole");
    assert_eq!((changed[1].state, changed[1].value), (TrialState::Complete, Some(7.0)));

    let t = s.create_trial(study)?;
    let (new, _) = s.trials_since(study, cursor2)?;
    assert_eq!(new.iter().map(|t| t.id).collect::<Vec<_>>(), vec![t.id], "a new trial is a change");
    let (again, _) = s.trials_since(study, Cursor::default())?;
    assert_eq!(again.len(), 6, "the default cursor reads everything");
    Ok(())
}

fn report_overwrites_the_same_step(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("report", Direction::Minimize)?;
    let t = s.create_trial(study)?;
    s.report(t.id, 1, 0.5)?;
    s.report(t.id, 2, 0.4)?;
    s.report(t.id, 1, 0.7)?;
    s.report(t.id, u32::MAX as u64 + 5, -1.0)?;
    let read = s.trial(t.id)?;
    assert_eq!(
        read.intermediate_values,
        BTreeMap::from([(1, 0.7), (2, 0.4), (u32::MAX as u64 + 5, -1.0)]),
        "a later report of a step replaces the earlier one"
    );
    Ok(())
}

fn user_attrs_round_trip(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("attrs", Direction::Minimize)?;
    let t = s.create_trial(study)?;
    let values = [
        ("text", serde_json::json!("héllo \"quoted\"")),
        ("int", serde_json::json!(-42)),
        ("float", serde_json::json!(0.125)),
        ("nested", serde_json::json!({"a": [1, 2, {"b": null}], "c": true})),
        ("null", serde_json::Value::Null),
    ];
    for (k, v) in &values {
        s.set_user_attr(t.id, k, v)?;
    }
    s.set_user_attr(t.id, "int", &serde_json::json!(43))?;
    let read = s.trial(t.id)?;
    let mut expected: BTreeMap<String, serde_json::Value> =
        values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    expected.insert("int".into(), serde_json::json!(43));
    assert_eq!(read.user_attrs, expected, "user attributes must round-trip, the last write winning");
    Ok(())
}

fn params_round_trip(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("params", Direction::Minimize)?;
    let t = s.create_trial(study)?;
    let cases = [
        ("lr", Distribution::Float(Float::log(1e-5, 1e-1)), ParamValue::Float(0.003_141_592_653_589_793)),
        ("dropout", Distribution::Float(Float::stepped(0.0, 0.5, 0.1)), ParamValue::Float(0.30000000000000004)),
        ("width", Distribution::Int(Int::log(32, 512)), ParamValue::Int(128)),
        ("neg", Distribution::Int(Int::new(-10, 10)), ParamValue::Int(-7)),
        (
            "opt",
            Distribution::Categorical(Categorical::new(vec!["sgd".into(), "adam".into()])),
            ParamValue::Str("adam".into()),
        ),
        (
            "mixed",
            Distribution::Categorical(Categorical::new(vec![ParamValue::Bool(true), ParamValue::Int(3)])),
            ParamValue::Int(3),
        ),
    ];
    for (name, d, v) in &cases {
        s.set_param(t.id, name, d, v)?;
    }
    let read = s.trial(t.id)?;
    for (name, d, v) in &cases {
        assert_eq!(read.params.get(*name), Some(v), "value of `{name}` must round-trip");
        assert_eq!(read.distributions.get(*name), Some(d), "distribution of `{name}` must round-trip");
    }
    let (since, _) = s.trials_since(study, Cursor::default())?;
    assert_eq!(since[0].params, read.params, "trials_since and trial must agree");
    Ok(())
}

fn outcomes_are_stored(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("outcomes", Direction::Maximize)?;
    let a = s.create_trial(study)?;
    let b = s.create_trial(study)?;
    let c = s.create_trial(study)?;
    let done = s.finish(a.id, &Outcome::Complete(-2.5))?;
    assert_eq!((done.state, done.value), (TrialState::Complete, Some(-2.5)), "finish returns the finished record");
    s.report(b.id, 0, 0.75)?;
    s.finish(b.id, &Outcome::Pruned(Some(0.75)))?;
    s.finish(c.id, &Outcome::Failed("boom: it broke".into()))?;
    let (a, b, c) = (s.trial(a.id)?, s.trial(b.id)?, s.trial(c.id)?);
    assert_eq!((a.state, a.value), (TrialState::Complete, Some(-2.5)));
    assert_eq!((b.state, b.value), (TrialState::Pruned, Some(0.75)));
    assert_eq!((c.state, c.value, c.fail_reason.as_deref()), (TrialState::Failed, None, Some("boom: it broke")));
    for t in [&a, &b, &c] {
        assert!(t.finished_at.is_some() && t.started_at.is_some(), "trial {} must keep both times", t.number);
    }
    Ok(())
}

fn study_name_is_unique(s: &dyn Storage) -> Result<()> {
    let id = s.create_study("unique", Direction::Maximize)?;
    assert!(
        matches!(s.create_study("unique", Direction::Minimize), Err(Error::StudyExists { name }) if name == "unique"),
        "a taken name must be StudyExists"
    );
    let rec = s.study("unique")?.expect("a created study must be found by name");
    assert_eq!((rec.id, rec.direction, rec.n_trials), (id, Direction::Maximize, 0));
    s.create_study("second", Direction::Minimize)?;
    let names: Vec<String> = s.studies()?.into_iter().map(|r| r.name).collect();
    assert_eq!(names, vec!["unique".to_string(), "second".to_string()], "studies lists every study in creation order");
    Ok(())
}

fn delete_removes_study_and_trials(s: &dyn Storage) -> Result<()> {
    let gone = s.create_study("gone", Direction::Minimize)?;
    let kept = s.create_study("kept", Direction::Minimize)?;
    let t = s.create_trial(gone)?;
    s.report(t.id, 0, 1.0)?;
    s.set_param(t.id, "x", &Distribution::Float(Float::new(0.0, 1.0)), &ParamValue::Float(0.5))?;
    let k = s.create_trial(kept)?;
    s.report(k.id, 0, 2.0)?;
    s.delete_study("gone")?;
    assert!(s.study("gone")?.is_none(), "a deleted study must not be found");
    assert!(matches!(s.trial(t.id), Err(Error::UnknownTrial { .. })), "a deleted study's trials must be gone");
    assert!(matches!(s.delete_study("gone"), Err(Error::UnknownStudy { .. })), "deleting twice is UnknownStudy");
    assert_eq!(s.trial(k.id)?.intermediate_values, BTreeMap::from([(0, 2.0)]), "other studies must be untouched");
    let again = s.create_study("gone", Direction::Maximize)?;
    assert_ne!(again, gone, "a new study must not reuse a deleted study's id");
    assert_eq!(s.create_trial(again)?.number, 0, "a re-created study starts at trial 0");
    Ok(())
}

/// Runs the [`Sampler`](crate::Sampler) contract on samplers from `make`: 40 trials over a
/// mixed, define-by-run space (log float, stepped float, log int, stepped int, categorical
/// strings/numbers/bools, a conditional parameter, a single-valued one), with failed and
/// pruned trials in the history.
///
/// Checks: every value lies in its distribution; a seeded study replays exactly; the
/// conditional parameter appears exactly when its condition holds.
///
/// # Panics
///
/// On the first broken rule, with its description.
pub fn sampler_suite(make: impl Fn() -> Box<dyn crate::Sampler>) {
    let run = |seed: u64| -> Vec<crate::FrozenTrial> {
        let study = crate::Study::builder()
            .sampler(make())
            .seed(seed)
            .build()
            .expect("sampler suite: building a study");
        study
            .optimize_with(crate::Optimize::trials(40).progress_bar(false), mixed_objective)
            .expect("sampler suite: optimize");
        study.trials().expect("sampler suite: reading trials")
    };
    let trials = run(17);
    assert_eq!(trials.len(), 40, "sampler suite: 40 trials run");
    for t in &trials {
        for (name, v) in &t.params {
            let d = &t.distributions[name];
            assert!(d.to_internal(v).is_some(), "sampler suite: `{name}` = {v} is outside {d}");
        }
        let deep = t.params.get("layers").and_then(ParamValue::as_i64).is_some_and(|l| l > 2);
        assert_eq!(
            t.params.contains_key("residual"),
            deep,
            "sampler suite: conditional `residual` present iff layers > 2 (trial {})",
            t.number
        );
        if t.state == TrialState::Complete {
            assert_eq!(t.params.get("fixed"), Some(&ParamValue::Float(3.0)), "sampler suite: single-valued range");
        }
    }
    let again = run(17);
    let params = |ts: &[crate::FrozenTrial]| ts.iter().map(|t| t.params.clone()).collect::<Vec<_>>();
    assert_eq!(params(&trials), params(&again), "sampler suite: a seeded study replays exactly");
}

fn mixed_objective(t: &mut crate::Trial) -> Result<f64> {
    let lr = t.suggest_float("lr", Float::log(1e-5, 1.0))?;
    let dropout = t.suggest_float("dropout", Float::stepped(0.0, 0.5, 0.1))?;
    let width = t.suggest_int("width", Int::log(8, 512))?;
    let layers = t.suggest_int("layers", Int::stepped(1, 5, 2))?;
    let opt = t.suggest_categorical("optimizer", &["sgd", "adam", "rmsprop"])?;
    let batch = t.suggest_categorical("batch", &[16, 32, 64])?;
    let bn = t.suggest_categorical("batch_norm", &[true, false])?;
    let fixed = t.suggest_float("fixed", Float::new(3.0, 3.0))?;
    let mut loss = (lr.log10() + 3.0).powi(2) + dropout + (width as f64).ln() / 10.0 + layers as f64 / 10.0;
    if layers > 2 {
        let residual = t.suggest_categorical("residual", &[true, false])?;
        loss -= if residual { 0.2 } else { 0.0 };
    }
    loss += match opt {
        "adam" => 0.0,
        "sgd" => 0.5,
        _ => 0.3,
    } + batch as f64 / 1000.0
        + if bn { 0.0 } else { 0.1 }
        + fixed
        - 3.0;
    match t.number() {
        Some(n) if n % 11 == 5 => Err(Pruned.into()),
        Some(n) if n % 13 == 7 => Err(Error::InvalidConfig { what: "objective", reason: "simulated failure".into() }),
        _ => Ok(loss),
    }
}

/// Runs the [`Pruner`](crate::Pruner) contract on pruners from `make`: decisions on edge
/// cases never panic (an empty history, a trial with no values, NaN values, one step, steps
/// far apart, both directions) and are the same when asked twice.
///
/// # Panics
///
/// On the first broken rule (or a panic of the pruner itself).
pub fn pruner_suite(make: impl Fn() -> Box<dyn crate::Pruner>) {
    use crate::{FrozenTrial, History};
    let curve = |id: u64, state: TrialState, values: &[(u64, f64)]| {
        let mut t = FrozenTrial::new_running(id, id);
        t.state = state;
        t.intermediate_values = values.iter().copied().collect();
        if state == TrialState::Complete {
            t.value = values.last().map(|v| v.1);
        }
        t
    };
    for direction in [Direction::Minimize, Direction::Maximize] {
        let pruner = make();
        let empty = History::new(direction, vec![]);
        let running = curve(0, TrialState::Running, &[]);
        assert!(!pruner.should_prune(&empty, &running), "pruner suite: a trial with no values is not pruned");
        let mut finished = Vec::new();
        for i in 0..12u64 {
            let vals: Vec<(u64, f64)> = (1..=20).map(|s| (s, (i as f64 + 1.0) / s as f64)).collect();
            finished.push(curve(i, TrialState::Complete, &vals));
        }
        finished.push(curve(12, TrialState::Pruned, &[(1, 5.0), (2, 4.0)]));
        finished.push(curve(13, TrialState::Failed, &[]));
        finished.push(curve(14, TrialState::Running, &[(1, f64::NAN)]));
        let history = History::new(direction, finished.clone());
        for values in [
            vec![(1, 0.5)],
            vec![(1, f64::NAN)],
            vec![(1, 1.0), (2, f64::NAN)],
            vec![(1, 1e300), (1000, -1e300)],
            (1..=20).map(|s| (s, 100.0)).collect::<Vec<_>>(),
        ] {
            let t = curve(99, TrialState::Running, &values);
            let first = pruner.should_prune(&history, &t);
            let second = pruner.should_prune(&history, &t);
            assert_eq!(first, second, "pruner suite: the same question gets the same answer");
        }
    }
}

/// Environment variable naming the PostgreSQL server the tests use
/// (`postgres://user@host:port/db`); `scripts/test.sh` starts a throwaway one and sets it.
pub const POSTGRES_URL_ENV: &str = "BO_TEST_POSTGRES_URL";

/// Environment variable that, set to `1`, lets the PostgreSQL tests pass without a server.
pub const SKIP_POSTGRES_ENV: &str = "BO_SKIP_POSTGRES";

/// A fresh, empty schema on the test PostgreSQL server, as a URL whose `search_path` names
/// it: each call gets its own tables, so tests run in parallel without seeing each other.
///
/// `None` when [`POSTGRES_URL_ENV`] is unset and [`SKIP_POSTGRES_ENV`] is `1` (the caller
/// returns early). `tag` goes into the schema name (to find a test's data).
///
/// # Panics
///
/// When [`POSTGRES_URL_ENV`] is unset (and the tests are not explicitly skipped), so that a
/// missing server is never mistaken for a pass; when the server cannot be reached.
#[cfg(feature = "postgres")]
pub fn postgres_test_url(tag: &str) -> Option<String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var(SKIP_POSTGRES_ENV).as_deref() == Ok("1") => {
            eprintln!("{SKIP_POSTGRES_ENV}=1: skipping a PostgreSQL test");
            return None;
        }
        _ => panic!(
            "{POSTGRES_URL_ENV} is not set: run the tests through scripts/test.sh (it starts a throwaway \
             PostgreSQL server), or set {POSTGRES_URL_ENV}=postgres://user@host:port/db, or set \
             {SKIP_POSTGRES_ENV}=1 to skip the PostgreSQL tests"
        ),
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tag: String = tag.chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect::<String>().to_lowercase();
    let schema =
        format!("bo_test_{tag}_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut client = base
        .parse::<postgres::Config>()
        .and_then(|c| c.connect(postgres::NoTls))
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server at {POSTGRES_URL_ENV}: {e}"));
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("cannot create schema {schema} on the test PostgreSQL server: {e}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-csearch_path%3D{schema}"))
}

fn stale_trials_are_failed_once(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("heartbeats", Direction::Minimize)?;
    let beating = s.create_trial(study)?;
    let silent = s.create_trial(study)?;
    s.heartbeat(beating.id)?;
    assert!(
        s.fail_stale_trials(study, std::time::Duration::from_secs(3600))?.is_empty(),
        "a trial that beat within the grace period must stay RUNNING"
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (_, cursor) = s.trials_since(study, Cursor::default())?;
    let failed = s.fail_stale_trials(study, std::time::Duration::from_millis(5))?;
    assert_eq!(failed.iter().map(|t| t.id).collect::<Vec<_>>(), vec![beating.id], "only the stale trial fails");
    assert_eq!(failed[0].state, TrialState::Failed, "a stale trial must be FAILED");
    assert!(
        failed[0].fail_reason.as_deref().is_some_and(|r| r.contains("heartbeat")),
        "the reason must name the heartbeat: {:?}",
        failed[0].fail_reason
    );
    assert_eq!(s.trial(beating.id)?.state, TrialState::Failed, "the failure must be stored");
    assert_eq!(s.trial(silent.id)?.state, TrialState::Running, "a trial that never beat is never stale");
    let (changed, _) = s.trials_since(study, cursor)?;
    assert!(changed.iter().any(|t| t.id == beating.id), "failing a stale trial must be an incremental change");
    assert!(s.fail_stale_trials(study, std::time::Duration::ZERO)?.is_empty(), "a stale trial is failed only once");
    assert!(
        matches!(s.heartbeat(beating.id), Err(Error::TrialFinished { .. })),
        "a heartbeat for a failed trial must be TrialFinished"
    );
    assert!(s.fail_stale_trials(study + 1000, std::time::Duration::ZERO).is_err(), "unknown study must be an error");
    Ok(())
}

fn enqueued_system_attrs_round_trip(s: &dyn Storage) -> Result<()> {
    let study = s.create_study("enqueue-attrs", Direction::Minimize)?;
    let fixed: FixedParams = [("x".to_string(), serde_json::json!(0.25))].into_iter().collect();
    let attrs: BTreeMap<String, serde_json::Value> =
        [("retried_from".to_string(), serde_json::json!(3)), ("retry".to_string(), serde_json::json!(1))].into_iter().collect();
    let t = s.enqueue_trial_with_attrs(study, &fixed, &attrs)?;
    let claimed = s.claim_waiting_trial(study)?.expect("the enqueued trial can be claimed");
    assert_eq!(claimed.id, t.id);
    for stored in [&t, &claimed] {
        assert_eq!(stored.system_attrs.get("retried_from"), Some(&serde_json::json!(3)), "system attributes must be stored");
        assert_eq!(stored.system_attrs.get("retry"), Some(&serde_json::json!(1)));
        assert_eq!(stored.system_attrs.get(FIXED_PARAMS_ATTR), Some(&serde_json::json!({"x": 0.25})), "fixed params must be kept");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_samplers_pass_the_sampler_suite() {
        super::sampler_suite(|| Box::new(crate::RandomSampler));
        super::sampler_suite(|| Box::new(crate::TpeSampler::default()));
        super::sampler_suite(|| Box::new(crate::TpeSampler::builder().multivariate(false).constant_liar(true).build().unwrap()));
        super::sampler_suite(|| Box::new(crate::QmcSampler::builder().seed(3).build().unwrap()));
        super::sampler_suite(|| Box::new(crate::CmaEsSampler::default()));
        super::sampler_suite(|| {
            Box::new(crate::CmaEsSampler::builder().popsize(4).restart_strategy(crate::RestartStrategy::Ipop).build().unwrap())
        });
    }

    #[test]
    fn builtin_pruners_pass_the_pruner_suite() {
        use crate::*;
        super::pruner_suite(|| Box::new(NopPruner));
        super::pruner_suite(|| Box::new(MedianPruner::default()));
        super::pruner_suite(|| Box::new(SuccessiveHalvingPruner::default()));
        super::pruner_suite(|| Box::new(HyperbandPruner::default()));
        super::pruner_suite(|| Box::new(ThresholdPruner::builder().upper(10.0).build().unwrap()));
        super::pruner_suite(|| Box::new(PatientPruner::builder().patience(3).wrapped_pruner(MedianPruner::default()).build().unwrap()));
    }

    use super::storage_suite;
    use crate::storage::InMemoryStorage;

    #[test]
    fn in_memory_storage_passes_the_storage_suite() {
        storage_suite(|| Box::new(InMemoryStorage::new()));
    }
}
