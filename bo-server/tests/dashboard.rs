//! The dashboard in a real browser: headless Chromium (Debian's `chromium`, installed by
//! scripts/test.sh) loads pages from a real server on loopback.

mod common;

use std::process::Command;

use bo_core::{Float, HttpStorage, Int, Optimize, Pruned, Study, ThresholdPruner, Trial};
use common::{Fixture, send};

fn chromium() -> String {
    std::env::var("BO_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

fn browser(args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}` (install Debian's chromium, see scripts/test.sh): {e}", chromium()));
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A server with one study of 24 trials: two params, intermediate values, some pruned.
fn fixture() -> (Fixture, String) {
    let fx = Fixture::new(true);
    let token = fx.user("alice");
    let storage = HttpStorage::open(&format!("http://{token}@{}", fx.server.addr())).unwrap();
    let study = Study::builder()
        .name("demo <study>")
        .storage(storage)
        .pruner(ThresholdPruner::builder().upper(30.0).build().unwrap())
        .seed(5)
        .build()
        .unwrap();
    study
        .optimize_with(Optimize::trials(24).progress_bar(false), |t: &mut Trial| {
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            let n = t.suggest_int("n", Int::new(1, 8))?;
            let mut v = 0.0;
            for step in 0..4 {
                v = x * x * (4 - step) as f64 + n as f64;
                t.report(step, v)?;
                if t.should_prune()? {
                    return Err(Pruned.into());
                }
            }
            Ok::<_, bo_core::Error>(v)
        })
        .unwrap();
    (fx, token)
}

#[test]
fn the_dashboard_renders_trials_and_plots_in_chromium() {
    let (fx, token) = fixture();
    let u = fx.url();

    // Without a token: the login form, no data.
    let dom = browser(&["--dump-dom", &format!("{u}/dashboard")]);
    assert!(dom.contains("name=\"token\"") && !dom.contains("demo"), "login form expected: {dom}");

    let dom = browser(&["--dump-dom", &format!("{u}/dashboard?token={token}")]);
    assert!(dom.contains("<table id=\"studies\""), "studies table: {dom}");
    assert!(dom.contains("demo &lt;study&gt;"), "study names are escaped: {dom}");
    assert!(dom.contains("/dashboard/study?name=demo%20%3Cstudy%3E"), "link to the study page: {dom}");

    let dom = browser(&["--dump-dom", &format!("{u}/dashboard/study?name=demo%20%3Cstudy%3E&token={token}")]);
    assert!(dom.contains("<table id=\"trials\""), "trials table: {dom}");
    for n in 0..24 {
        assert!(dom.contains(&format!("<tr class=\"trial\" data-number=\"{n}\">")), "row of trial {n}");
    }
    assert!(dom.contains("PRUNED") && dom.contains("COMPLETE"), "trial states shown");
    for kind in ["history", "intermediate", "importance", "parallel"] {
        let start = dom.find(&format!("<figure id=\"plot-{kind}\">")).unwrap_or_else(|| panic!("figure {kind}"));
        let fig = &dom[start..start + dom[start..].find("</figure>").unwrap()];
        assert!(fig.contains("<svg") && fig.contains("</svg>"), "{kind} plot is an inline SVG: {fig}");
    }

    // A screenshot: a PNG was written and it is not blank.
    let dir = tempfile::tempdir().unwrap();
    let png_path = dir.path().join("study.png");
    browser(&[
        &format!("--screenshot={}", png_path.display()),
        "--window-size=1200,1600",
        &format!("{u}/dashboard/study?name=demo%20%3Cstudy%3E&token={token}"),
    ]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let px = info.color_type.samples();
    let first = &pixels[..px];
    let differing = pixels.chunks(px).filter(|p| *p != first).count();
    assert!(differing > pixels.len() / px / 100, "the screenshot is not blank ({differing} differing pixels)");
}

#[test]
fn dashboard_plots_are_served_as_svg_and_need_a_token() {
    let (fx, token) = fixture();
    let u = fx.url();
    let url = format!("{u}/dashboard/plot?name=demo%20%3Cstudy%3E&kind=history");
    let (s, b) = send("GET", &format!("{url}&token={token}"), None, None);
    assert_eq!(s, 200);
    let doc = roxmltree::Document::parse(&b).expect("valid SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let (s, b) = send("GET", &url, None, None);
    assert_eq!(s, 401, "{b}");
    let (s, _) = send("GET", &format!("{u}/dashboard/plot?name=demo%20%3Cstudy%3E&kind=pie&token={token}"), None, None);
    assert_eq!(s, 422);
    let other = fx.user("mallory");
    let (s, _) = send("GET", &format!("{url}&token={other}"), None, None);
    assert_eq!(s, 404, "another user's study is not found");
}
