//! Every figure rendered from real studies, checked as parsed SVG and decoded PNG.

use std::collections::BTreeMap;

use crate::importance::{FanovaEvaluator, param_importances};
use crate::plot::{
    Figure, ImageFormat, SurrogateSlice, contour, edf, intermediate_values, optimization_history, parallel_coordinates,
    slice,
};
use crate::{Float, History, Int, MedianPruner, Optimize, Pruned, SqliteStorage, Study, TpeSampler, Trial, TrialState};

/// A TPE + median-pruning study of a quadratic with a log parameter, an int and a
/// categorical, stored in a SQLite file; 40 trials reporting 8 steps each.
fn mixed_study(dir: &std::path::Path) -> History {
    let study = Study::builder()
        .name("mixed")
        .storage(SqliteStorage::open(dir.join("plots.db")).unwrap())
        .sampler(TpeSampler::default())
        .pruner(MedianPruner::builder().n_startup_trials(5).n_warmup_steps(2).build().unwrap())
        .seed(5)
        .build()
        .unwrap();
    study
        .optimize_with(Optimize::trials(40).progress_bar(false), |t: &mut Trial| {
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            let lr = t.suggest_float("lr", Float::log(1e-4, 1e-1))?;
            let layers = t.suggest_int("layers", Int::new(1, 6))?;
            let opt = t.suggest_categorical("optimizer", &["sgd", "adam", "rmsprop"])?;
            let base = (x - 1.0).powi(2) + (lr.log10() + 2.5).powi(2) + 0.1 * layers as f64;
            let base = base + if opt == "sgd" { 1.0 } else { 0.0 };
            for step in 0..8u64 {
                t.report(step, base + 4.0 / (step + 1) as f64)?;
                if t.should_prune()? {
                    return Err(Pruned.into());
                }
            }
            Ok::<_, anyhow::Error>(base)
        })
        .unwrap();
    study.history().unwrap()
}

#[derive(Debug, Default)]
struct Svg {
    elements: BTreeMap<String, usize>,
    texts: Vec<String>,
    width: u32,
    height: u32,
}

impl Svg {
    fn count(&self, tag: &str) -> usize {
        self.elements.get(tag).copied().unwrap_or(0)
    }
    fn has_text(&self, needle: &str) -> bool {
        self.texts.iter().any(|t| t.contains(needle))
    }
}

/// Parses the SVG (fails the test if it is not well-formed XML with an `<svg>` root) and
/// counts its elements by tag and collects its texts.
fn parse_svg(bytes: &[u8]) -> Svg {
    let text = std::str::from_utf8(bytes).expect("SVG is UTF-8");
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("SVG does not parse: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let mut svg = Svg {
        width: root.attribute("width").and_then(|w| w.parse().ok()).unwrap_or(0),
        height: root.attribute("height").and_then(|w| w.parse().ok()).unwrap_or(0),
        ..Svg::default()
    };
    for node in root.descendants().filter(|n| n.is_element()) {
        *svg.elements.entry(node.tag_name().name().to_string()).or_default() += 1;
        if node.tag_name().name() == "text" {
            svg.texts.push(node.text().unwrap_or_default().trim().to_string());
        }
    }
    svg
}

/// Decodes the PNG (checks the magic bytes) and returns its size, its share of non-white
/// pixels, its number of distinct colours, and whether the top band (the title) has dark
/// pixels, i.e. text was drawn.
fn inspect_png(bytes: &[u8]) -> (u32, u32, f64, usize, bool) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG magic bytes");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let (w, h) = (info.width, info.height);
    let px: Vec<[u8; 3]> = buf[..info.buffer_size()].chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    let non_white = px.iter().filter(|p| **p != [255, 255, 255]).count() as f64 / px.len() as f64;
    let mut colors: Vec<[u8; 3]> = px.clone();
    colors.sort_unstable();
    colors.dedup();
    let title_band = &px[..(40 * w) as usize];
    let dark_title = title_band.iter().filter(|p| p.iter().all(|c| *c < 100)).count() > 20;
    (w, h, non_white, colors.len(), dark_title)
}

fn check_png(figure: &Figure) {
    let bytes = figure.render(ImageFormat::Png).unwrap();
    let (w, h, non_white, n_colors, text) = inspect_png(&bytes);
    assert_eq!((w, h), figure.default_size(), "{}", figure.kind());
    assert!(non_white > 0.01, "{}: only {non_white} of the pixels are drawn", figure.kind());
    assert!(n_colors > 20, "{}: {n_colors} colours", figure.kind());
    assert!(text, "{}: no title text in the PNG", figure.kind());
}

#[test]
fn every_figure_of_a_real_study_renders_to_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let h = mixed_study(dir.path());
    let completed = h.completed().count();
    let pruned = h.with_state(TrialState::Pruned).count();
    assert!(completed >= 10 && pruned >= 3, "{completed} completed, {pruned} pruned");

    let history = Figure::from(optimization_history(&h).unwrap());
    let svg = parse_svg(&history.render(ImageFormat::Svg).unwrap());
    assert_eq!((svg.width, svg.height), history.default_size());
    assert!(svg.count("circle") >= completed, "{svg:?}");
    assert!(svg.count("polyline") >= 1);
    assert!(svg.has_text("Optimization history") && svg.has_text("best value (minimize)"), "{:?}", svg.texts);
    check_png(&history);

    let inter = Figure::from(intermediate_values(&h).unwrap());
    let svg = parse_svg(&inter.render(ImageFormat::Svg).unwrap());
    assert!(svg.count("polyline") >= 40, "{svg:?}");
    assert!(svg.has_text(&format!("pruned ({pruned})")), "{:?}", svg.texts);
    assert!(svg.count("line") >= 2 * pruned, "one cross per pruned trial: {svg:?}");
    check_png(&inter);

    let parallel = Figure::from(parallel_coordinates(&h, None).unwrap());
    let svg = parse_svg(&parallel.render(ImageFormat::Svg).unwrap());
    assert!(svg.count("polyline") >= completed, "{svg:?}");
    for name in ["objective", "layers", "lr", "optimizer", "x", "adam", "rmsprop"] {
        assert!(svg.texts.iter().any(|t| t == name), "axis label `{name}` in {:?}", svg.texts);
    }
    check_png(&parallel);

    let sl = Figure::from(slice(&h, None).unwrap());
    let svg = parse_svg(&sl.render(ImageFormat::Svg).unwrap());
    assert_eq!(svg.count("circle"), 4 * completed, "{svg:?}");
    for name in ["layers", "lr", "optimizer", "x", "sgd"] {
        assert!(svg.texts.iter().any(|t| t == name), "`{name}` in {:?}", svg.texts);
    }
    check_png(&sl);

    let co = Figure::from(contour(&h, "x", "lr").unwrap());
    let svg = parse_svg(&co.render(ImageFormat::Svg).unwrap());
    assert!(svg.count("rect") >= 40 * 40, "{svg:?}");
    assert_eq!(svg.count("circle"), 2 * completed, "white dot and black ring per trial");
    assert!(svg.has_text("Contour of the objective over x and lr"));
    check_png(&co);
    let cat = Figure::from(contour(&h, "optimizer", "layers").unwrap());
    let svg = parse_svg(&cat.render(ImageFormat::Svg).unwrap());
    assert!(svg.texts.iter().any(|t| t == "rmsprop"), "{:?}", svg.texts);

    let imp = param_importances(&h, &FanovaEvaluator::default()).unwrap();
    let fig = Figure::from(imp.clone());
    let svg = parse_svg(&fig.render(ImageFormat::Svg).unwrap());
    assert!(svg.count("rect") > 4, "background and one bar per parameter: {svg:?}");
    for p in &imp.importances {
        assert!(svg.texts.contains(&p.param), "`{}` in {:?}", p.param, svg.texts);
        assert!(svg.has_text(&format!("{:.3}", p.importance)));
    }
    check_png(&fig);

    let e = Figure::from(edf(&h).unwrap());
    let svg = parse_svg(&e.render(ImageFormat::Svg).unwrap());
    assert!(svg.count("polyline") >= 1);
    assert!(svg.has_text(&format!("{completed} completed trials")), "{:?}", svg.texts);
    check_png(&e);
}

fn surrogate(log_scale: bool) -> SurrogateSlice {
    let x: Vec<f64> =
        (0..=60).map(|i| if log_scale { 10f64.powf(-4.0 + 3.0 * i as f64 / 60.0) } else { i as f64 / 60.0 }).collect();
    let u: Vec<f64> = (0..=60).map(|i| i as f64 / 60.0).collect();
    SurrogateSlice {
        param: "lr".into(),
        mean: u.iter().map(|u| (u - 0.4).powi(2)).collect(),
        std: u.iter().map(|u| 0.02 + 0.2 * (u - 0.5).abs()).collect(),
        acquisition: u.iter().map(|u| (-(u - 0.35).powi(2) * 30.0).exp()).collect(),
        acquisition_name: "LogEI".into(),
        observed: [0.1, 0.45, 0.9].iter().map(|&u: &f64| (x[(u * 60.0) as usize], (u - 0.4).powi(2))).collect(),
        log_scale,
        x,
    }
}

#[test]
fn the_surrogate_picture_renders_from_hand_made_data() {
    for log_scale in [false, true] {
        let fig = Figure::from(surrogate(log_scale));
        let svg = parse_svg(&fig.render(ImageFormat::Svg).unwrap());
        assert_eq!(svg.count("polygon"), 3, "band, acquisition area, marker of its maximum: {svg:?}");
        assert_eq!(svg.count("circle"), 3 + 1, "three observations and the legend's dot");
        for t in ["Surrogate model along lr", "LogEI", "posterior mean", "mean ± 2 std", "observations"] {
            assert!(svg.has_text(t), "`{t}` in {:?}", svg.texts);
        }
        check_png(&fig);
    }
}

#[test]
fn an_invalid_surrogate_slice_is_an_error_not_a_picture() {
    let mut s = surrogate(false);
    s.acquisition.truncate(3);
    let err = Figure::from(s).render(ImageFormat::Svg).unwrap_err();
    assert!(matches!(err, crate::Error::InvalidConfig { what: "surrogate slice", .. }), "{err}");
}

#[test]
fn figures_render_for_a_single_trial_and_constant_values() {
    let study = Study::builder().name("one").seed(1).build().unwrap();
    study
        .optimize_with(Optimize::trials(1).progress_bar(false), |t: &mut Trial| {
            t.suggest_float("a", Float::log(1e-3, 1.0))?;
            t.suggest_categorical("b", &["only"])?;
            t.report(0, 2.0)?;
            Ok::<_, crate::Error>(2.0)
        })
        .unwrap();
    let h = study.history().unwrap();
    let figures = [
        Figure::from(optimization_history(&h).unwrap()),
        Figure::from(intermediate_values(&h).unwrap()),
        Figure::from(parallel_coordinates(&h, None).unwrap()),
        Figure::from(slice(&h, None).unwrap()),
        Figure::from(contour(&h, "a", "b").unwrap()),
        Figure::from(edf(&h).unwrap()),
        Figure::from(param_importances(&h, &FanovaEvaluator::default()).unwrap()),
        Figure::from(crate::importance::ParamImportances {
            evaluator: "fanova".into(),
            n_trials: 0,
            importances: Vec::new(),
        }),
    ];
    for f in &figures {
        for format in [ImageFormat::Svg, ImageFormat::Png] {
            let bytes = f.render(format).unwrap_or_else(|e| panic!("{}: {e}", f.kind()));
            assert!(bytes.len() > 1000, "{}", f.kind());
        }
    }
}

#[test]
fn save_writes_the_format_of_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let h = mixed_study(dir.path());
    let f = Figure::from(edf(&h).unwrap());
    f.save(&dir.path().join("edf.png")).unwrap();
    f.save(&dir.path().join("edf.svg")).unwrap();
    assert!(std::fs::read(dir.path().join("edf.png")).unwrap().starts_with(b"\x89PNG"));
    assert!(std::fs::read(dir.path().join("edf.svg")).unwrap().starts_with(b"<svg"));
    assert!(matches!(f.save(&dir.path().join("edf.gif")), Err(crate::Error::UnsupportedImageFormat { .. })));
}

