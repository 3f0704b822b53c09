//! `scripts/gpu_report.py` reads the run summaries the examples write (`--summary`): the
//! figures of the GPU check (pruning's saving, GPU over CPU, n_jobs scaling, Burn's
//! autotune) come out of real `RunSummary` JSON, and skipped parts keep their reason.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bo_core::{FrozenTrial, TrialState};
use example_cnn_common::images::digits;
use example_cnn_common::{EPOCH_SECONDS, RunInfo, RunSummary};

fn summary(example: &'static str, device: &str, pruner: &str, run: &[(TrialState, f64, &[f64])], wall: f64) -> RunSummary {
    let info = RunInfo {
        example,
        device: device.into(),
        backend: "test".into(),
        jobs: 1,
        pruner: pruner.into(),
        epochs: 3,
        accuracy_scale: 1.0,
    };
    let trials: Vec<FrozenTrial> = run
        .iter()
        .enumerate()
        .map(|(i, (state, value, seconds))| {
            let mut t = FrozenTrial::new_running(i as u64, i as u64);
            t.state = *state;
            t.value = Some(*value);
            t.intermediate_values = (1..=seconds.len() as u64).map(|s| (s, *value)).collect();
            t.user_attrs.insert(EPOCH_SECONDS.into(), serde_json::json!(seconds));
            t
        })
        .collect();
    RunSummary::new(&info, &digits(0.25), &trials, Duration::from_secs_f64(wall))
}

fn part(dir: &Path, name: &str, status: &str, summary: Option<&RunSummary>) -> anyhow::Result<()> {
    std::fs::write(dir.join(format!("{name}.status")), status)?;
    if let Some(s) = summary {
        s.write_json(&dir.join(format!("{name}.json")))?;
    }
    Ok(())
}

#[test]
fn the_report_derives_the_gpu_figures_from_the_examples_summaries() -> anyhow::Result<()> {
    let out = tempfile::tempdir()?;
    let parts = out.path().join("parts");
    std::fs::create_dir_all(&parts)?;
    std::fs::write(parts.join("host.json"), r#"{"hostname": "h", "cpus": 16, "gpu": null, "gpu_error": "nvidia-smi not found", "torch": null}"#)?;
    use TrialState::{Complete, Pruned};
    let none = summary("tch", "cuda:0", "none", &[(Complete, 0.90, &[2.0, 1.0, 1.0]), (Complete, 0.95, &[1.0, 1.0, 1.0])], 40.0);
    let hb = summary("tch", "cuda:0", "hyperband", &[(Complete, 0.95, &[2.0, 1.0, 1.0]), (Pruned, 0.2, &[1.0])], 10.0);
    part(&parts, "tch-none", "0", Some(&none))?;
    part(&parts, "tch-hyperband", "0", Some(&hb))?;
    part(&parts, "tch-speed-cuda", "0", Some(&summary("tch", "cuda:0", "none", &[(Complete, 0.9, &[3.0, 0.5])], 4.0)))?;
    part(&parts, "tch-speed-cpu", "0", Some(&summary("tch", "cpu", "none", &[(Complete, 0.9, &[4.0, 4.0])], 8.0)))?;
    part(&parts, "tch-jobs-1", "0", Some(&summary("tch", "cuda:0", "none", &[(Complete, 0.9, &[1.0])], 30.0)))?;
    std::fs::write(parts.join("tch-jobs-1.mem"), "500\n900\n1700\n800\n")?;
    part(&parts, "tch-jobs-2", "timeout", None)?;
    part(&parts, "tch-jobs-4", "skipped", None)?;
    std::fs::write(parts.join("tch-jobs-4.reason"), "torch 2.11.0 sees no CUDA device")?;
    part(&parts, "burn-cuda", "0", Some(&summary("burn", "cuda:0", "hyperband", &[(Complete, 0.9, &[80.0, 2.0, 2.0])], 90.0)))?;

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/gpu_report.py");
    let status = Command::new("python3").arg(&script).arg(out.path()).args(["--smoke", "0", "--seconds", "99"]).output()?;
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));

    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.path().join("gpu-report.json"))?)?;
    let f = &report["figures"];
    assert_eq!(f["pruning"]["wall_time_saved"], 0.75);
    assert_eq!(f["pruning"]["epochs_trained"], serde_json::json!([6, 4]));
    assert_eq!(f["pruning"]["best_accuracy"], serde_json::json!([0.95, 0.95]));
    assert_eq!(f["gpu_over_cpu"]["speedup"], 8.0, "steady epochs: CPU 4 s against CUDA 0.5 s");
    assert_eq!(f["jobs_scaling"][0]["peak_gpu_memory_mib"], 1200.0);
    assert_eq!(f["jobs_scaling"].as_array().map(Vec::len), Some(1), "only parts with a summary scale");
    assert_eq!(f["burn"]["autotune_s"], 78.0);
    assert_eq!(report["parts"]["tch-jobs-2"]["status"], "timeout");
    assert_eq!(report["parts"]["tch-jobs-4"]["reason"], "torch 2.11.0 sees no CUDA device");
    let md = std::fs::read_to_string(out.path().join("gpu-report.md"))?;
    assert!(md.contains("GPU: none (nvidia-smi not found)"), "{md}");
    assert!(md.contains("| tch-jobs-4 | skipped: torch 2.11.0 sees no CUDA device |"), "{md}");
    assert!(md.contains("75 % saved"), "{md}");
    Ok(())
}
