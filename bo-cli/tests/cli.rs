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
        let sent = std::time::Instant::now();
        let r = call(json!({"op": "tell", "trial_id": id, "state": "complete", "value": x0 * x0}));
        let round_trip_us = sent.elapsed().as_secs_f64() * 1e6;
        assert_eq!(r["ok"], true, "{r}");
        // The server's own time for the call: some, and within what the client waited.
        let elapsed_us = r["elapsed_us"].as_f64().unwrap();
        assert!(elapsed_us > 0.0 && elapsed_us <= round_trip_us, "server {elapsed_us} µs, round trip {round_trip_us} µs");
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

/// A TPE + median-pruning study in a SQLite file: `x` drives the objective, `lr` (log)
/// matters a little, `optimizer` shifts it, `unused` does nothing; each trial reports 6
/// steps. A second study, `empty`, has only a failed trial.
fn plot_study(dir: &std::path::Path) -> String {
    use bo_core::{Float, MedianPruner, Optimize, Study, TpeSampler, Trial};
    let url = format!("sqlite:{}", dir.join("plots.db").display());
    let study = Study::builder()
        .name("mixed")
        .seed(9)
        .sampler(TpeSampler::default())
        .pruner(MedianPruner::builder().n_startup_trials(5).n_warmup_steps(1).build().unwrap())
        .shared_storage(bo_core::open_storage(&url).unwrap())
        .build()
        .unwrap();
    study
        .optimize_with(Optimize::trials(50).progress_bar(false), |t: &mut Trial| {
            let x = t.suggest_float("x", Float::new(-4.0, 4.0))?;
            let lr = t.suggest_float("lr", Float::log(1e-4, 1e-1))?;
            let opt = t.suggest_categorical("optimizer", &["sgd", "adam"])?;
            let _unused = t.suggest_float("unused", Float::new(0.0, 1.0))?;
            let v = 3.0 * (x - 1.0).powi(2) + 0.3 * (lr.log10() + 2.0).powi(2) + if opt == "sgd" { 2.0 } else { 0.0 };
            for step in 0..6u64 {
                t.report_or_prune(step, v + 3.0 / (step + 1) as f64)?;
            }
            Ok::<_, anyhow::Error>(v)
        })
        .unwrap();
    let empty = Study::builder().name("empty").shared_storage(bo_core::open_storage(&url).unwrap()).build().unwrap();
    empty
        .optimize_with(Optimize::trials(1).progress_bar(false), |_t: &mut Trial| {
            Err::<f64, _>(anyhow::anyhow!("diverged"))
        })
        .unwrap();
    url
}

/// Parses an SVG file and returns its texts; fails unless it is well-formed with an `<svg>` root.
fn svg_texts(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or_default().trim().to_string()).collect()
}

/// Decodes a PNG file: its size and share of non-white pixels.
fn png_stats(path: &std::path::Path) -> (u32, u32, f64) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let drawn = px.chunks(3).filter(|p| p != &[255, 255, 255]).count() as f64 / (px.len() / 3) as f64;
    (info.width, info.height, drawn)
}

#[test]
fn plot_draws_every_kind_to_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let url = plot_study(dir.path());
    let kinds: [(&str, &[&str], &str); 8] = [
        ("history", &[], "Optimization history"),
        ("intermediate", &[], "Intermediate values"),
        ("parallel", &[], "Parallel coordinates"),
        ("slice", &["--params", "x,optimizer"], "Slice plot"),
        ("contour", &["--params", "x,lr"], "Contour of the objective over x and lr"),
        ("importance", &["--evaluator", "mdi"], "Parameter importance (mdi"),
        ("edf", &[], "Empirical distribution of the objective"),
        ("surrogate", &["--params", "x"], "Surrogate model along x"),
    ];
    for (kind, extra, title) in kinds {
        for ext in ["svg", "png"] {
            let file = dir.path().join(format!("{kind}.{ext}"));
            let mut args = vec!["plot", kind, "mixed", "-o", file.to_str().unwrap(), "--storage", &url];
            args.extend_from_slice(extra);
            let out = bo(&args);
            assert!(out.status.success(), "{kind}.{ext}: {}", text(&out.stderr));
            assert_eq!(text(&out.stdout), "");
            if ext == "svg" {
                let texts = svg_texts(&file);
                assert!(texts.iter().any(|t| t.starts_with(title)), "{kind}: {texts:?}");
            } else {
                let (w, h, drawn) = png_stats(&file);
                assert!(w >= 600 && h >= 300, "{kind}: {w}x{h}");
                assert!(drawn > 0.02, "{kind}: {drawn} of the pixels drawn");
            }
        }
    }
    let slice = svg_texts(&dir.path().join("slice.svg"));
    assert!(slice.iter().any(|t| t == "optimizer") && !slice.iter().any(|t| t == "unused"), "{slice:?}");
}

#[test]
fn importance_ranks_the_parameter_that_drives_the_objective_first() {
    let dir = tempfile::tempdir().unwrap();
    let url = plot_study(dir.path());
    for evaluator in ["fanova", "mdi"] {
        let out = bo(&["importance", "mixed", "--evaluator", evaluator, "--storage", &url]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let table = text(&out.stdout);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with(&format!("{evaluator} importance over ")), "{table}");
        assert!(lines[3].starts_with("x "), "{table}");
        assert!(lines.last().unwrap().starts_with("unused ") || lines[lines.len() - 2].starts_with("unused "), "{table}");
    }
    let out = bo(&["importance", "mixed", "--json", "--params", "unused,x", "--storage", &url]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["evaluator"], "fanova");
    assert_eq!(v["importances"][0]["param"], "x");
    assert_eq!(v["importances"].as_array().unwrap().len(), 2);
    let a = bo(&["importance", "mixed", "--json", "--seed", "3", "--storage", &url]);
    let b = bo(&["importance", "mixed", "--json", "--seed", "3", "--storage", &url]);
    assert_eq!(a.stdout, b.stdout, "a seeded evaluation repeats exactly");
}

#[test]
fn report_is_one_self_contained_html_page() {
    let dir = tempfile::tempdir().unwrap();
    let url = plot_study(dir.path());
    let file = dir.path().join("report.html");
    let out = bo(&["report", "mixed", "-o", file.to_str().unwrap(), "--storage", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), 7, "every plot inline");
    assert_eq!(html.matches("</svg>").count(), 7);
    for section in ["Best trials", "Optimization history", "Intermediate values", "Parameter importance", "Slices", "Contour"] {
        assert!(html.contains(section), "{section}");
    }
    for external in ["<script", "<link", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "report refers to an external resource: {external}");
    }
    let links: Vec<&str> = html.match_indices("http").map(|(i, _)| &html[i..i + 26]).collect();
    assert!(links.iter().all(|l| *l == "http://www.w3.org/2000/svg"), "{links:?}");
    let best: Value = serde_json::from_slice(&bo(&["best", "mixed", "--json", "--storage", &url]).stdout).unwrap();
    assert!(html.contains(&format!("<tr><td class=\"num\">{}</td>", best["number"])), "best trial row");
}

#[test]
fn plot_report_and_importance_reject_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let url = plot_study(dir.path());
    let out_svg = dir.path().join("out.svg");
    let svg = out_svg.to_str().unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["plot", "history", "nope", "-o", svg], 1, "error: study `nope` does not exist"),
        (vec!["plot", "histogram", "mixed", "-o", svg], 2, "histogram"),
        (vec!["plot", "history", "mixed", "-o", "out.jpg"], 1, "error: cannot tell the image format of `out.jpg`"),
        (vec!["plot", "slice", "mixed", "-o", svg, "--params", "x,depth"], 1, "error: parameter `depth` is not in the study"),
        (vec!["plot", "contour", "mixed", "-o", svg, "--params", "x,depth"], 1, "error: parameter `depth` is not in the study"),
        (vec!["plot", "contour", "mixed", "-o", svg], 1, "error: a contour plot needs two parameters"),
        (vec!["plot", "contour", "mixed", "-o", svg, "--params", "x,x"], 1, "needs two parameters, got `x` twice"),
        (vec!["plot", "history", "empty", "-o", svg], 1, "error: study has no completed trial yet"),
        (vec!["plot", "intermediate", "empty", "-o", svg], 1, "error: no trial of the study reported intermediate values"),
        (vec!["plot", "importance", "empty", "-o", svg], 1, "error: study has no completed trial yet"),
        (vec!["report", "empty", "-o", "r.html"], 1, "error: study has no completed trial yet"),
        (vec!["report", "nope", "-o", "r.html"], 1, "error: study `nope` does not exist"),
        (vec!["importance", "empty"], 1, "error: study has no completed trial yet"),
        (vec!["importance", "mixed", "--evaluator", "shap"], 2, "shap"),
        (vec!["importance", "mixed", "--trees", "0"], 1, "error: invalid configuration: n_trees"),
        (vec!["importance", "mixed", "--params", "depth"], 1, "error: parameter `depth` is not in the study"),
    ];
    for (mut args, code, message) in cases {
        args.extend(["--storage", &url]);
        let out = Command::new(env!("CARGO_BIN_EXE_bo"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove("BO_STORAGE")
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!out_svg.exists() && !dir.path().join("r.html").exists(), "{args:?} left a file");
    }
}
