//! Two processes share one SQLite study: no trial is lost, numbered twice, or claimed twice.
//!
//! The test binary runs itself again as the workers: with `BO_SQLITE_WORKER=<db path>` set,
//! the test body is a worker instead of the parent.
#![cfg(feature = "sqlite")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use bo_core::{Error, Float, Optimize, SqliteStorage, Study, Trial, TrialState};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const WORKER_ENV: &str = "BO_SQLITE_WORKER";
const LOG_ENV: &str = "BO_SQLITE_WORKER_LOG";
const TEST_NAME: &str = "two_processes_share_one_sqlite_study_without_lost_or_duplicated_trials";
const TRIALS_PER_WORKER: u64 = 100;
const ENQUEUED: u64 = 30;

fn open_study(path: &Path) -> Res<Study> {
    Ok(Study::builder().storage(SqliteStorage::open(path)?).name("shared").load_if_exists(true).build()?)
}

/// Runs `TRIALS_PER_WORKER` trials and writes the numbers of the trials it ran to its log.
fn worker(path: &Path, log: &Path) -> Res<()> {
    let study = open_study(path)?;
    let ran = Mutex::new(Vec::new());
    study.optimize_with(Optimize::trials(TRIALS_PER_WORKER).progress_bar(false), |t: &mut Trial| {
        let x = t.suggest_float("x", Float::new(-10.0, 10.0))?;
        // Gives the other worker time to interleave its writes with ours.
        std::thread::sleep(std::time::Duration::from_millis(1));
        t.report(0, x.abs())?;
        t.set_user_attr("pid", std::process::id())?;
        ran.lock().unwrap_or_else(|e| e.into_inner()).push(t.number().unwrap_or(u64::MAX));
        Ok::<_, Error>((x - 1.0).powi(2))
    })?;
    let ran = ran.into_inner().unwrap_or_else(|e| e.into_inner());
    let text: Vec<String> = ran.iter().map(u64::to_string).collect();
    std::fs::write(log, text.join("\n"))?;
    Ok(())
}

#[test]
fn two_processes_share_one_sqlite_study_without_lost_or_duplicated_trials() -> Res<()> {
    if let Ok(path) = std::env::var(WORKER_ENV) {
        let log = std::env::var(LOG_ENV)?;
        return worker(Path::new(&path), Path::new(&log));
    }

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("shared.db");
    let study = open_study(&path)?;
    for i in 0..ENQUEUED {
        study.enqueue([("x", i as f64 * 0.25)])?;
    }
    drop(study);

    let exe = std::env::current_exe()?;
    let children = (0..2)
        .map(|k| {
            let log = dir.path().join(format!("worker-{k}.log"));
            let child = Command::new(&exe)
                .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
                .env(WORKER_ENV, &path)
                .env(LOG_ENV, &log)
                .spawn()?;
            Ok((child, log))
        })
        .collect::<Res<Vec<_>>>()?;
    let mut ran: BTreeMap<u64, usize> = BTreeMap::new();
    let mut pids = Vec::new();
    for (mut child, log) in children {
        pids.push(child.id());
        let status = child.wait()?;
        assert!(status.success(), "worker failed: {status}");
        for line in std::fs::read_to_string(&log)?.lines() {
            *ran.entry(line.parse()?).or_default() += 1;
        }
    }

    let study = open_study(&path)?;
    let trials = study.trials()?;
    let total = 2 * TRIALS_PER_WORKER;
    assert_eq!(trials.len() as u64, total, "exactly the trials the workers ran");
    assert_eq!(trials.iter().map(|t| t.number).collect::<Vec<_>>(), (0..total).collect::<Vec<_>>());
    assert!(trials.iter().all(|t| t.state == TrialState::Complete), "nothing left RUNNING or WAITING");
    assert_eq!(ran.keys().copied().collect::<Vec<_>>(), (0..total).collect::<Vec<_>>(), "every trial ran");
    assert!(ran.values().all(|&n| n == 1), "no trial ran twice: {ran:?}");
    for t in &trials[..ENQUEUED as usize] {
        assert_eq!(t.params["x"].as_f64(), Some(t.number as f64 * 0.25), "enqueued trial {} used its value", t.number);
    }
    let workers: std::collections::BTreeSet<u64> =
        trials.iter().filter_map(|t| t.user_attrs.get("pid").and_then(|v| v.as_u64())).collect();
    let expected: std::collections::BTreeSet<u64> = pids.iter().map(|&p| p as u64).collect();
    assert_eq!(workers, expected, "both workers ran trials");
    Ok(())
}
