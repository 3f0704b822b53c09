//! Worker processes share one study, in a SQLite file and in a PostgreSQL database:
//! 8 workers x 50 trials leave exactly 400 finished trials, none twice, none RUNNING; a
//! worker killed with SIGKILL mid-trial has its trial failed after the heartbeat grace period
//! and retried with the same parameters, and nothing else is lost.
//!
//! The test binary runs itself again as the workers: with `BO_TEST_WORKER_MODE` set, the test
//! body is a worker instead of the parent. The PostgreSQL tests need `BO_TEST_POSTGRES_URL`
//! (scripts/test.sh starts a server); without it they fail, unless `BO_SKIP_POSTGRES=1`.
#![cfg(feature = "sqlite")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bo_core::storage::{RETRIED_FROM_ATTR, RETRY_ATTR};
use bo_core::{Error, Float, FrozenTrial, Int, Optimize, Study, Trial, TrialState, open_storage};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const MODE_ENV: &str = "BO_TEST_WORKER_MODE";
const STORAGE_ENV: &str = "BO_TEST_WORKER_STORAGE";
const LOG_ENV: &str = "BO_TEST_WORKER_LOG";
const STUDY: &str = "workers";
const WORKERS: u64 = 8;
const TRIALS_PER_WORKER: u64 = 50;
/// The SIGKILL tests' heartbeat settings.
const INTERVAL: Duration = Duration::from_millis(200);
const GRACE: Duration = Duration::from_secs(1);
/// Trials the worker to be killed completes before it hangs.
const BEFORE_HANG: u64 = 3;
/// Generous bound on anything the test waits for (a loaded machine is slow, never this slow).
const PATIENCE: Duration = Duration::from_secs(600);

/// Runs the worker named by the environment, if this process is one.
fn as_worker() -> Option<Res<()>> {
    let mode = std::env::var(MODE_ENV).ok()?;
    let run = || -> Res<()> {
        let storage = std::env::var(STORAGE_ENV)?;
        match mode.as_str() {
            "fifty" => fifty_trials(&storage, Path::new(&std::env::var(LOG_ENV)?)),
            "hang" => hang(&storage),
            other => Err(format!("unknown worker mode {other}").into()),
        }
    };
    Some(run())
}

fn study(storage: &str, heartbeat: (Duration, Duration), retries: u32) -> Res<Study> {
    Ok(Study::builder()
        .shared_storage(open_storage(storage)?)
        .name(STUDY)
        .load_if_exists(true)
        .heartbeat(heartbeat.0, heartbeat.1)
        .retry_failed_trials(retries)
        .build()?)
}

/// Two parameters and a cheap, deterministic objective.
fn objective(t: &mut Trial) -> Result<f64, Error> {
    let x = t.suggest_float("x", Float::new(-10.0, 10.0))?;
    let n = t.suggest_int("n", Int::new(0, 20))?;
    t.report(0, x.abs())?;
    t.set_user_attr("pid", std::process::id())?;
    Ok((x - 1.0).powi(2) + n as f64)
}

/// Worker of the 8 x 50 tests: TPE (the default), heartbeats with a grace no live worker
/// misses; logs the numbers of the trials it ran.
fn fifty_trials(storage: &str, log: &Path) -> Res<()> {
    let study = study(storage, (Duration::from_millis(500), Duration::from_secs(120)), 0)?;
    let ran = Mutex::new(Vec::new());
    study.optimize_with(Optimize::trials(TRIALS_PER_WORKER).progress_bar(false), |t: &mut Trial| {
        let v = objective(t)?;
        // Gives the other workers time to interleave their writes with ours.
        std::thread::sleep(Duration::from_millis(2));
        ran.lock().unwrap_or_else(|e| e.into_inner()).push(t.number().unwrap_or(u64::MAX));
        Ok::<_, Error>(v)
    })?;
    let ran = ran.into_inner().unwrap_or_else(|e| e.into_inner());
    std::fs::write(log, ran.iter().map(u64::to_string).collect::<Vec<_>>().join("\n"))?;
    Ok(())
}

/// Worker of the SIGKILL tests: completes `BEFORE_HANG` trials, then hangs inside the next
/// one (after suggesting its parameters) until it is killed.
fn hang(storage: &str) -> Res<()> {
    let study = study(storage, (INTERVAL, GRACE), 1)?;
    study.optimize_with(Optimize::trials(BEFORE_HANG + 1).progress_bar(false), |t: &mut Trial| {
        let v = objective(t)?;
        if t.number() == Some(BEFORE_HANG) {
            t.set_user_attr("hanging", true)?;
            std::thread::sleep(PATIENCE);
        }
        Ok::<_, Error>(v)
    })?;
    Err("the hanging worker was not killed".into())
}

/// Child processes, killed if the test ends early.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn(test: &str, mode: &str, storage: &str, log: Option<&Path>) -> Res<Child> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"]).env(MODE_ENV, mode).env(STORAGE_ENV, storage);
    if let Some(log) = log {
        cmd.env(LOG_ENV, log);
    }
    Ok(cmd.spawn()?)
}

/// Waits for a child, failing (not hanging) after [`PATIENCE`].
fn wait(child: &mut Child) -> Res<std::process::ExitStatus> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            return Err("a worker did not finish in time".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The 8 x 50 test on one storage.
fn eight_workers_fifty_trials_each(test: &str, storage: &str) -> Res<()> {
    // The study exists before the workers start (they also race to create it correctly).
    drop(study(storage, (Duration::from_millis(500), Duration::from_secs(120)), 0)?);
    let dir = tempfile::tempdir()?;
    let logs: Vec<PathBuf> = (0..WORKERS).map(|k| dir.path().join(format!("worker-{k}.log"))).collect();
    let mut workers = Workers(Vec::new());
    for log in &logs {
        workers.0.push(spawn(test, "fifty", storage, Some(log))?);
    }
    let pids: BTreeSet<u64> = workers.0.iter().map(|c| u64::from(c.id())).collect();
    for child in &mut workers.0 {
        let status = wait(child)?;
        assert!(status.success(), "worker failed: {status}");
    }
    let mut ran: BTreeMap<u64, usize> = BTreeMap::new();
    for log in &logs {
        let text = std::fs::read_to_string(log)?;
        assert_eq!(text.lines().count() as u64, TRIALS_PER_WORKER, "each worker ran its 50 trials");
        for line in text.lines() {
            *ran.entry(line.parse()?).or_default() += 1;
        }
    }

    let trials = study(storage, (Duration::from_millis(500), Duration::from_secs(120)), 0)?.trials()?;
    let total = WORKERS * TRIALS_PER_WORKER;
    assert_eq!(trials.len() as u64, total, "exactly the trials the workers ran");
    assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..total).collect::<Vec<_>>());
    let not_complete: Vec<_> = trials.iter().filter(|t| t.state != TrialState::Complete).collect();
    assert!(not_complete.is_empty(), "nothing left RUNNING, WAITING or FAILED: {not_complete:?}");
    assert_eq!(ran.keys().copied().collect::<Vec<_>>(), (0..total).collect::<Vec<_>>(), "every trial ran");
    assert!(ran.values().all(|&n| n == 1), "no trial ran twice: {ran:?}");
    for t in &trials {
        let pid = t.user_attrs.get("pid").and_then(|v| v.as_u64());
        assert!(pid.is_some_and(|p| pids.contains(&p)), "trial {} was run by a worker: {pid:?}", t.number);
        assert!(t.params.contains_key("x") && t.params.contains_key("n"), "trial {} has its params", t.number);
    }
    Ok(())
}

/// The SIGKILL test on one storage.
fn killed_worker_trial_is_failed_and_retried(test: &str, storage: &str) -> Res<()> {
    let observer = open_storage(storage)?;
    let id = study(storage, (INTERVAL, GRACE), 1)?.id();
    let mut workers = Workers(vec![spawn(test, "hang", storage, None)?]);
    let pid = u64::from(workers.0[0].id());

    // Wait until the worker is inside the hanging trial.
    let deadline = Instant::now() + PATIENCE;
    let hanging: FrozenTrial = loop {
        let (trials, _) = observer.trials_since(id, Default::default())?;
        if let Some(t) = trials.iter().find(|t| t.user_attrs.contains_key("hanging")) {
            break t.clone();
        }
        if let Some(status) = workers.0[0].try_wait()? {
            return Err(format!("the worker exited before hanging: {status}").into());
        }
        assert!(Instant::now() < deadline, "the worker never reached its hanging trial");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(hanging.state, TrialState::Running);
    // Let its heartbeat thread beat a few times, then kill it mid-trial.
    std::thread::sleep(3 * INTERVAL);
    workers.0[0].kill()?; // SIGKILL on Unix: no chance to clean up
    let status = workers.0[0].wait()?;
    assert!(!status.success(), "the worker was killed: {status}");
    assert_eq!(observer.trial(hanging.id)?.state, TrialState::Running, "a killed worker's trial stays RUNNING");

    // Past the grace period, the next worker fails the trial and runs its retry first.
    std::thread::sleep(GRACE + Duration::from_millis(500));
    let next = study(storage, (INTERVAL, GRACE), 1)?;
    const NEXT_TRIALS: u64 = 4;
    next.optimize_with(Optimize::trials(NEXT_TRIALS).progress_bar(false), objective)?;

    let trials = next.trials()?;
    let total = BEFORE_HANG + 1 + NEXT_TRIALS;
    assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..total).collect::<Vec<_>>());
    let killed = &trials[hanging.number as usize];
    assert_eq!(killed.state, TrialState::Failed, "the killed worker's trial is FAILED");
    let reason = killed.fail_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("heartbeat"), "the reason names the heartbeat: {reason}");
    let retries: Vec<&FrozenTrial> =
        trials.iter().filter(|t| t.system_attrs.contains_key(RETRIED_FROM_ATTR)).collect();
    assert_eq!(retries.len(), 1, "exactly one retry: {retries:?}");
    let retry = retries[0];
    assert_eq!(retry.number, hanging.number + 1, "the retry is the next trial run");
    assert_eq!(retry.system_attrs[RETRIED_FROM_ATTR].as_u64(), Some(hanging.number));
    assert_eq!(retry.system_attrs[RETRY_ATTR].as_u64(), Some(1));
    assert_eq!(retry.state, TrialState::Complete, "the retry completes");
    assert_eq!(retry.params, hanging.params, "the retry has the killed trial's parameters");
    for t in trials.iter().filter(|t| t.number != hanging.number) {
        assert_eq!(t.state, TrialState::Complete, "trial {} is not lost: {t:?}", t.number);
    }
    for t in &trials[..BEFORE_HANG as usize] {
        assert_eq!(t.user_attrs["pid"].as_u64(), Some(pid), "the killed worker's finished trials are kept");
    }
    Ok(())
}

#[test]
fn eight_sqlite_workers_run_fifty_trials_each_without_loss_or_duplicates() -> Res<()> {
    if let Some(r) = as_worker() {
        return r;
    }
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}", dir.path().join("workers.db").display());
    eight_workers_fifty_trials_each("eight_sqlite_workers_run_fifty_trials_each_without_loss_or_duplicates", &url)
}

#[test]
fn a_sqlite_worker_killed_mid_trial_has_its_trial_failed_and_retried() -> Res<()> {
    if let Some(r) = as_worker() {
        return r;
    }
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}", dir.path().join("killed.db").display());
    killed_worker_trial_is_failed_and_retried("a_sqlite_worker_killed_mid_trial_has_its_trial_failed_and_retried", &url)
}

#[cfg(all(feature = "postgres", feature = "testing"))]
#[test]
fn eight_postgres_workers_run_fifty_trials_each_without_loss_or_duplicates() -> Res<()> {
    if let Some(r) = as_worker() {
        return r;
    }
    let Some(url) = bo_core::testing::postgres_test_url("eight") else { return Ok(()) };
    eight_workers_fifty_trials_each("eight_postgres_workers_run_fifty_trials_each_without_loss_or_duplicates", &url)
}

#[cfg(all(feature = "postgres", feature = "testing"))]
#[test]
fn a_postgres_worker_killed_mid_trial_has_its_trial_failed_and_retried() -> Res<()> {
    if let Some(r) = as_worker() {
        return r;
    }
    let Some(url) = bo_core::testing::postgres_test_url("killed") else { return Ok(()) };
    killed_worker_trial_is_failed_and_retried(
        "a_postgres_worker_killed_mid_trial_has_its_trial_failed_and_retried",
        &url,
    )
}
