//! The Hopaas API driven the way the Python `hopaas_client` drives it (bodies of
//! `json.dumps`, no Content-Type, the token in the path, `should_prune` every step and once
//! more on exit), from several "processes" at once, against a server on PostgreSQL; then the
//! CLI reads the study from the database and agrees with `get_best_trial`.

use bo_e2e_tests::{Server, get, output, python_post};
use serde_json::Value;

/// The body `hopaas_client.Study(name="xsq", properties={"x": Float(-3, 3), "n": Int(1, 4),
/// "tag": "v1"}, direction="minimize", pruner=MedianPruner(), special_properties={"node": W})`
/// sends with every `ask`.
fn ask_body(worker: usize) -> String {
    format!(
        r#"{{"x": "optuna#float(-3,3)", "n": "optuna#int(1,4,1,false)", "tag": "v1", "hopaas_config": {{"title": "xsq", "direction": "minimize", "sampler": {{"name": "TPESampler", "args": {{"n_startup_trials": 10, "n_ei_candidates": 24, "consider_magic_clip": true}}}}, "pruner": {{"name": "MedianPruner", "args": {{"n_startup_trials": 5, "n_warmup_steps": 0, "interval_steps": 1, "n_min_trials": 1}}}}}}, "_node": "w{worker}"}}"#
    )
}

/// One client trial: ask, report x² + step/10 at steps 0..4 (`should_prune` each), the exit's
/// repeated `should_prune`, then `tell` unless pruned. Returns (handle, final loss or None).
fn run_trial(url: &str, token: &str, worker: usize) -> (String, Option<f64>) {
    let (s, b) = python_post(&format!("{url}/api/ask/{token}"), &ask_body(worker));
    assert_eq!(s, 200, "ask: {b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    let handle = v["hopaas_trial"].as_str().unwrap().to_string();
    assert_eq!(v["tag"], "v1", "constants are echoed");
    let x = v["x"].as_f64().unwrap();
    assert!((1..=4).contains(&v["n"].as_i64().unwrap()));
    let mut loss = 0.0;
    for step in 0..4 {
        loss = x * x + (4 - step) as f64 / 10.0;
        let body = format!(r#"{{"hopaas_trial": "{handle}", "loss": {loss:?}, "step": {step}}}"#);
        let (s, b) = python_post(&format!("{url}/api/should_prune/{token}"), &body);
        assert_eq!(s, 200, "should_prune: {b}");
        if b == "true" {
            // The context manager's exit repeats the last report; the answer stays true.
            let (s, again) = python_post(&format!("{url}/api/should_prune/{token}"), &body);
            assert_eq!((s, again.as_str()), (200, "true"));
            return (handle, None);
        }
        assert_eq!(b, "false");
    }
    let body = format!(r#"{{"hopaas_trial": "{handle}", "loss": {loss:?}}}"#);
    let (s, b) = python_post(&format!("{url}/api/tell/{token}"), &body);
    assert_eq!((s, b.as_str()), (200, "null"));
    (handle, Some(loss))
}

#[test]
fn hopaas_clients_in_parallel_on_postgres_and_the_cli_reads_their_study() {
    let Some(fx) = Server::postgres("e2e_hopaas", true) else { return };
    let token = fx.user("lhcb");
    let url = fx.url();
    // 5 "processes" x 4 trials, as the client's multiprocessing tests run.
    let results: Vec<(String, Option<f64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..5)
            .map(|w| {
                let (url, token) = (url.clone(), token.clone());
                s.spawn(move || (0..4).map(|_| run_trial(&url, &token, w)).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a client panicked")).collect()
    });
    assert_eq!(results.len(), 20);
    let sid = results[0].0.split_once(':').unwrap().0.to_string();
    let numbers: std::collections::BTreeSet<u64> =
        results.iter().map(|(h, _)| h.split_once(':').unwrap()).map(|(s, n)| {
            assert_eq!(s, sid, "every process lands in the same study");
            n.parse().unwrap()
        }).collect();
    assert_eq!(numbers, (0..20).collect(), "trial numbers are never reissued");

    let (s, b) = get(&format!("{url}/api/get_best_trial/{token}?hopaas_trial={sid}:0"));
    assert_eq!(s, 200, "{b}");
    let best_handle: String = serde_json::from_str(&b).unwrap();

    // The CLI over the same database (`bo studies`, `bo best --json`).
    let db = fx.open_storage();
    let name = format!("lhcb/xsq#{}", &sid[..8]);
    let studies = output(|out| bo_cli::write_studies(db.as_ref(), out));
    assert!(studies.contains(&name), "{studies}");
    let best = output(|out| bo_cli::write_best(db.as_ref(), &name, true, out));
    let best: Value = serde_json::from_str(&best).unwrap();
    assert_eq!(format!("{sid}:{}", best["number"]), best_handle);
    let told = results.iter().filter_map(|(_, loss)| *loss).fold(f64::INFINITY, f64::min);
    assert_eq!(best["value"].as_f64(), Some(told));
    let (_, trials) = bo_core::storage::load_study(db.as_ref(), &name).unwrap();
    let pruned = results.iter().filter(|(_, loss)| loss.is_none()).count();
    assert_eq!(trials.iter().filter(|t| t.state == bo_core::TrialState::Pruned).count(), pruned);
    assert!(trials.iter().all(|t| t.user_attrs.get("_node").is_some_and(Value::is_string)), "specials are stored");
}
