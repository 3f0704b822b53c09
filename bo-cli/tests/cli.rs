//! End-to-end tests of the built `bo` binary.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn bo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bo")).args(args).env_remove("BO_STORAGE").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn bench_runs_a_few_trials_over_a_pipe() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bo"))
        .arg("bench")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut call = |msg: Value| -> Value {
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("reply `{line}` is not JSON: {e}"))
    };
    let init = json!({"op": "init", "protocol": 1, "seed": 4, "direction": "minimize",
        "space": [{"name": "x0", "type": "float", "low": -5.0, "high": 10.0, "log": false},
                  {"name": "n", "type": "int", "low": 1, "high": 4, "log": false, "step": 1},
                  {"name": "act", "type": "categorical", "choices": ["relu", "tanh"]}],
        "sampler": "random", "sampler_options": {}, "pruner": "none", "pruner_options": {},
        "budget": {"n_trials": 5, "n_steps": 3}});
    let r = call(init);
    assert_eq!(r["ok"], true, "{r}");
    let mut ids = Vec::new();
    for _ in 0..5 {
        let r = call(json!({"op": "ask"}));
        assert_eq!(r["ok"], true, "{r}");
        let id = r["trial_id"].clone();
        let x0 = r["params"]["x0"].as_f64().unwrap();
        assert!((-5.0..=10.0).contains(&x0));
        for step in 1..=3 {
            let r = call(json!({"op": "report", "trial_id": id, "step": step, "value": x0 * x0}));
            assert_eq!(r["should_prune"], false, "{r}");
        }
        let r = call(json!({"op": "tell", "trial_id": id, "state": "complete", "value": x0 * x0}));
        assert_eq!(r["ok"], true, "{r}");
        assert!(r["elapsed_us"].as_f64().unwrap() >= 0.0);
        ids.push(id);
    }
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    let r = call(json!({"op": "nope"}));
    assert_eq!(r["ok"], false);
    assert_eq!(call(json!({"op": "shutdown"}))["ok"], true);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let mut rest = String::new();
    stdout.read_line(&mut rest).unwrap();
    assert_eq!(rest, "", "nothing after the shutdown reply");
}

#[test]
fn bench_ends_cleanly_when_its_input_ends() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bo"))
        .arg("bench")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"{\"op\":\"ask\"}\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["ok"], false);
}

#[test]
fn studies_of_an_empty_memory_storage() {
    let out = bo(&["studies", "--storage", "memory:"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "no studies\n");
}

#[test]
fn the_storage_can_come_from_the_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_bo")).arg("studies").env("BO_STORAGE", "memory:").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "no studies\n");
}

#[test]
fn commands_on_a_missing_study_fail_with_its_name() {
    for args in [
        &["trials", "demo"][..],
        &["best", "demo"],
        &["best", "demo", "--json"],
        &["export", "demo", "--format", "csv"],
        &["export", "demo", "--format", "json"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--storage", "memory:"]);
        let out = bo(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&out.stderr), "error: study `demo` does not exist\n", "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
}

#[test]
fn a_bad_storage_url_is_reported() {
    let out = bo(&["studies", "--storage", "postgres://nowhere/db"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: cannot open storage `postgres://nowhere/db`"), "{err}");
}

#[test]
fn an_unknown_export_format_is_a_usage_error() {
    let out = bo(&["export", "demo", "--format", "xml", "--storage", "memory:"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("xml"));
}

#[test]
fn commands_read_a_study_from_a_sqlite_file() {
    use bo_core::{Float, Optimize, Study, Trial};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("bo.db").display());
    let study = Study::builder()
        .name("quad")
        .seed(3)
        .shared_storage(bo_core::open_storage(&url).unwrap())
        .build()
        .unwrap();
    study
        .optimize_with(Optimize::trials(6).progress_bar(false), |t: &mut Trial| {
            let x = t.suggest_float("x", Float::new(-1.0, 1.0))?;
            Ok::<_, bo_core::Error>(x * x)
        })
        .unwrap();
    let best = study.best_trial().unwrap();

    let out = bo(&["studies", "--storage", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).lines().nth(2).unwrap().starts_with("quad  minimize"));

    let out = bo(&["trials", "quad", "--storage", &url]);
    assert_eq!(text(&out.stdout).lines().count(), 2 + 6);

    let out = bo(&["best", "quad", "--json", "--storage", &url]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["number"], best.number);
    assert_eq!(v["value"].as_f64(), best.value);

    let csv = dir.path().join("quad.csv");
    let out = bo(&["export", "quad", "--format", "csv", "-o", csv.to_str().unwrap(), "--storage", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert!(exported.starts_with("number,state,value,started_at,finished_at,duration_s,params_x,fail_reason\n"));
    assert_eq!(exported.lines().count(), 1 + 6);
}
