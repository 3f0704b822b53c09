//! Behaviour of `#[derive(SearchSpace)]` (feature `derive`).
#![cfg(feature = "derive")]

use bo_core::{Error, Optimize, ParamValue, Params, SearchSpace, Study, Trial};

#[derive(Debug, Clone, PartialEq, SearchSpace)]
struct Hparams {
    #[param(1e-5..=1e-1, log)]
    lr: f64,
    #[param(0.0..=1.0, step = 0.1)]
    dropout: f32,
    #[param(16..=256, log)]
    batch: u32,
    #[param(0..=100, step = 10)]
    warmup: usize,
    #[param(choices = [16, 32, 64])]
    width: i32,
    #[param(choices = ["relu", "gelu"])]
    activation: String,
    shuffle: bool,
    #[param(0.0..=0.99)]
    momentum: Option<f64>,
    schedule: Schedule,
    #[param(name = "wd")]
    #[param(-6..=-1)]
    weight_decay_exp: i8,
    #[param(skip)]
    note: String,
}

#[derive(Debug, Clone, PartialEq, SearchSpace)]
enum Schedule {
    Constant,
    StepDecay,
    #[param(rename = "cos")]
    Cosine,
}

#[derive(Debug, Clone, PartialEq, SearchSpace)]
struct Layer {
    #[param(1..=4)]
    depth: u8,
    #[param(0.0..=0.5)]
    dropout: f64,
}

#[derive(Debug, Clone, PartialEq, SearchSpace)]
struct Net {
    encoder: Layer,
    decoder: Option<Layer>,
    optimizer: Optimizer,
}

#[derive(Debug, Clone, PartialEq, SearchSpace)]
enum Optimizer {
    Sgd {
        #[param(1e-4..=1.0, log)]
        lr: f64,
        #[param(0.0..=0.99)]
        momentum: Option<f64>,
    },
    Adam {
        #[param(0.8..=0.999)]
        beta1: f64,
    },
    Constant(#[param(0.0..=1.0)] f64),
    #[param(skip)]
    #[allow(dead_code)]
    Never,
}

fn study(seed: u64) -> Study {
    Study::builder().seed(seed).build().unwrap()
}

fn params<const N: usize>(pairs: [(&str, ParamValue); N]) -> Params {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn is_multiple(x: f64, step: f64) -> bool {
    let k = x / step;
    (k - k.round()).abs() < 1e-6
}

#[test]
fn typed_struct_values_stay_in_their_ranges_and_grids() {
    let study = study(1);
    for _ in 0..40 {
        let mut trial = study.ask().unwrap();
        let hp: Hparams = trial.suggest().unwrap();
        assert!((1e-5..=1e-1).contains(&hp.lr), "{hp:?}");
        assert!((0.0..=1.0).contains(&hp.dropout) && is_multiple(hp.dropout as f64, 0.1), "{hp:?}");
        assert!((16..=256).contains(&hp.batch), "{hp:?}");
        assert!(hp.warmup <= 100 && hp.warmup % 10 == 0, "{hp:?}");
        assert!([16, 32, 64].contains(&hp.width), "{hp:?}");
        assert!(hp.activation == "relu" || hp.activation == "gelu", "{hp:?}");
        assert!(hp.momentum.is_none_or(|m| (0.0..=0.99).contains(&m)), "{hp:?}");
        assert!((-6..=-1).contains(&hp.weight_decay_exp), "{hp:?}");
        assert_eq!(hp.note, "");
        study.tell(trial, hp.lr).unwrap();
    }
}

#[test]
fn typed_struct_uses_the_declared_distributions() {
    let study = study(2);
    let mut trial = study.ask().unwrap();
    let _: Hparams = trial.suggest().unwrap();
    let d = trial.snapshot().distributions;
    assert_eq!(d["lr"].to_string(), "float [0.00001, 0.1] log");
    assert_eq!(d["dropout"].to_string(), "float [0, 1] step 0.1");
    assert_eq!(d["batch"].to_string(), "int [16, 256] log");
    assert_eq!(d["warmup"].to_string(), "int [0, 100] step 10");
    assert_eq!(d["width"].to_string(), "categorical [16, 32, 64]");
    assert_eq!(d["activation"].to_string(), "categorical [relu, gelu]");
    assert_eq!(d["shuffle"].to_string(), "categorical [false, true]");
    assert_eq!(d["use_momentum"].to_string(), "categorical [false, true]");
    assert_eq!(d["schedule"].to_string(), "categorical [constant, step_decay, cos]");
    assert_eq!(d["wd"].to_string(), "int [-6, -1]");
    assert!(!d.contains_key("weight_decay_exp") && !d.contains_key("note"));
}

#[test]
fn log_scaled_fields_spread_over_orders_of_magnitude() {
    let study = study(3);
    let mut small = 0;
    for _ in 0..60 {
        let mut trial = study.ask().unwrap();
        let hp: Hparams = trial.suggest().unwrap();
        if hp.lr < 1e-3 {
            small += 1;
        }
        study.tell(trial, 0.0).unwrap();
    }
    // Log-uniform over [1e-5, 1e-1]: half the mass lies below 1e-3 (uniform: 1%).
    assert!((15..=45).contains(&small), "{small} of 60 below 1e-3");
}

#[test]
fn option_field_parameters_exist_only_when_enabled() {
    let study = study(4);
    let (mut some, mut none) = (0, 0);
    for _ in 0..40 {
        let mut trial = study.ask().unwrap();
        let hp: Hparams = trial.suggest().unwrap();
        let p = trial.params();
        assert_eq!(p["use_momentum"], ParamValue::Bool(hp.momentum.is_some()));
        assert_eq!(p.contains_key("momentum"), hp.momentum.is_some());
        if let Some(m) = hp.momentum {
            assert_eq!(p["momentum"], ParamValue::Float(m));
            some += 1;
        } else {
            none += 1;
        }
        study.tell(trial, 0.0).unwrap();
    }
    assert!(some > 0 && none > 0, "some = {some}, none = {none}");
}

#[test]
fn nested_structs_and_enum_variants_use_dotted_names() {
    let study = study(5);
    let mut seen_variants = std::collections::BTreeSet::new();
    for _ in 0..60 {
        let mut trial = study.ask().unwrap();
        let net: Net = trial.suggest().unwrap();
        let p = trial.params();
        assert_eq!(p["encoder.depth"], ParamValue::Int(net.encoder.depth.into()));
        assert_eq!(p["encoder.dropout"], ParamValue::Float(net.encoder.dropout));
        assert_eq!(p["use_decoder"], ParamValue::Bool(net.decoder.is_some()));
        assert_eq!(p.contains_key("decoder.depth"), net.decoder.is_some());
        let mut expected = vec!["encoder.depth", "encoder.dropout", "optimizer", "use_decoder"];
        if net.decoder.is_some() {
            expected.extend(["decoder.depth", "decoder.dropout"]);
        }
        match &net.optimizer {
            Optimizer::Sgd { lr, momentum } => {
                assert_eq!(p["optimizer"], ParamValue::Str("sgd".into()));
                assert_eq!(p["optimizer.sgd.lr"], ParamValue::Float(*lr));
                expected.extend(["optimizer.sgd.lr", "optimizer.sgd.use_momentum"]);
                if momentum.is_some() {
                    expected.push("optimizer.sgd.momentum");
                }
            }
            Optimizer::Adam { beta1 } => {
                assert_eq!(p["optimizer.adam.beta1"], ParamValue::Float(*beta1));
                expected.push("optimizer.adam.beta1");
            }
            Optimizer::Constant(c) => {
                assert_eq!(p["optimizer.constant"], ParamValue::Float(*c));
                expected.push("optimizer.constant");
            }
            Optimizer::Never => panic!("a skipped variant was chosen"),
        }
        seen_variants.insert(p["optimizer"].to_string());
        expected.sort_unstable();
        let names: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(names, expected);
        study.tell(trial, 0.0).unwrap();
    }
    let all: Vec<&str> = seen_variants.iter().map(String::as_str).collect();
    assert_eq!(all, ["adam", "constant", "sgd"]);
}

#[test]
fn top_level_enum_is_named_after_its_type() {
    let study = study(6);
    let mut trial = study.ask().unwrap();
    let s: Schedule = trial.suggest().unwrap();
    let name = match s {
        Schedule::Constant => "constant",
        Schedule::StepDecay => "step_decay",
        Schedule::Cosine => "cos",
    };
    assert_eq!(trial.params(), params([("schedule", ParamValue::Str(name.into()))]));
}

#[test]
fn fixed_trial_produces_the_exact_struct() {
    let fixed = params([
        ("lr", 0.01.into()),
        ("dropout", 0.3.into()),
        ("batch", 64.into()),
        ("warmup", 20.into()),
        ("width", 32.into()),
        ("activation", "gelu".into()),
        ("shuffle", true.into()),
        ("use_momentum", true.into()),
        ("momentum", 0.9.into()),
        ("schedule", "step_decay".into()),
        ("wd", (-4).into()),
    ]);
    let hp: Hparams = Trial::fixed(fixed).suggest().unwrap();
    let expected = Hparams {
        lr: 0.01,
        dropout: 0.3,
        batch: 64,
        warmup: 20,
        width: 32,
        activation: "gelu".into(),
        shuffle: true,
        momentum: Some(0.9),
        schedule: Schedule::StepDecay,
        weight_decay_exp: -4,
        note: String::new(),
    };
    assert_eq!(hp, expected);

    let net: Net = Trial::fixed(params([
        ("encoder.depth", 2.into()),
        ("encoder.dropout", 0.25.into()),
        ("use_decoder", false.into()),
        ("optimizer", "constant".into()),
        ("optimizer.constant", 0.5.into()),
    ]))
    .suggest()
    .unwrap();
    let expected = Net {
        encoder: Layer { depth: 2, dropout: 0.25 },
        decoder: None,
        optimizer: Optimizer::Constant(0.5),
    };
    assert_eq!(net, expected);
}

const BIG: i64 = 1000;

#[derive(Debug, SearchSpace)]
struct Narrow {
    #[param(0..=BIG)]
    small: u8,
}

#[test]
fn fixed_value_that_does_not_fit_the_field_type_is_an_error() {
    let ok: Narrow = Trial::fixed(params([("small", 255.into())])).suggest().unwrap();
    assert_eq!(ok.small, 255);
    let err = Trial::fixed(params([("small", 300.into())])).suggest::<Narrow>().unwrap_err();
    match err {
        Error::ValueOutOfDistribution { name, value, distribution } => {
            assert_eq!((name.as_str(), value.as_str()), ("small", "300"));
            assert_eq!(distribution, "the range of `u8`");
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn fixed_value_outside_the_declared_range_is_an_error() {
    let err = Trial::fixed(params([("depth", 9.into()), ("dropout", 0.1.into())])).suggest::<Layer>().unwrap_err();
    assert!(matches!(err, Error::ValueOutOfDistribution { ref name, .. } if name == "depth"), "{err:?}");
    let err = Trial::fixed(params([("schedule", "linear".into())])).suggest::<Schedule>().unwrap_err();
    assert!(matches!(err, Error::ValueOutOfDistribution { ref name, .. } if name == "schedule"), "{err:?}");
    let err = Trial::fixed(params([("depth", 2.into())])).suggest::<Layer>().unwrap_err();
    assert!(matches!(err, Error::MissingFixedParam { ref name } if name == "dropout"), "{err:?}");
}

#[test]
fn suggesting_the_same_space_twice_gives_the_same_value() {
    let study = study(7);
    let mut trial = study.ask().unwrap();
    let a: Net = trial.suggest().unwrap();
    let b: Net = trial.suggest().unwrap();
    assert_eq!(a, b);
}

#[test]
fn manual_impl_and_derive_compose() {
    struct Scale(f64);
    impl SearchSpace for Scale {
        fn suggest_named(trial: &mut Trial, name: &str) -> bo_core::Result<Self> {
            trial.suggest_float(name, bo_core::Float::log(0.1, 10.0)).map(Scale)
        }
    }
    #[derive(SearchSpace)]
    struct Outer {
        scale: Scale,
        #[param(1..=3)]
        k: u16,
    }
    let o: Outer = Trial::fixed(params([("scale", 2.0.into()), ("k", 3.into())])).suggest().unwrap();
    assert_eq!((o.scale.0, o.k), (2.0, 3));
}

const LIMIT: f64 = 10.0;

#[derive(Debug, PartialEq, SearchSpace)]
struct Misc {
    #[param(choices = [0.5, 1, 2.5])]
    scale: f32,
    #[param(1..=1_000_000, log)]
    seed: u64,
    #[param(-5..=5, step = 5)]
    offset: isize,
    #[param(choices = ["l1", "l2"])]
    penalty: Option<String>,
    schedule: Option<Schedule>,
    #[param(choices = [1, 2, 4])]
    r#type: Option<u8>,
}

#[test]
fn less_common_field_types_come_back_from_fixed_params() {
    let misc: Misc = Trial::fixed(params([
        ("scale", 1.0.into()),
        ("seed", 123_456.into()),
        ("offset", (-5).into()),
        ("use_penalty", true.into()),
        ("penalty", "l2".into()),
        ("use_schedule", true.into()),
        ("schedule", "cos".into()),
        ("use_type", false.into()),
    ]))
    .suggest()
    .unwrap();
    let expected = Misc {
        scale: 1.0,
        seed: 123_456,
        offset: -5,
        penalty: Some("l2".into()),
        schedule: Some(Schedule::Cosine),
        r#type: None,
    };
    assert_eq!(misc, expected);
    let study = study(8);
    for _ in 0..20 {
        let mut trial = study.ask().unwrap();
        let m: Misc = trial.suggest().unwrap();
        assert!([0.5, 1.0, 2.5].contains(&m.scale) && (1..=1_000_000).contains(&m.seed));
        assert!([-5, 0, 5].contains(&m.offset), "{m:?}");
        assert_eq!(trial.params().contains_key("schedule"), m.schedule.is_some());
        assert_eq!(trial.params().contains_key("type"), m.r#type.is_some());
        study.tell(trial, 0.0).unwrap();
    }
}

#[derive(Debug, Clone, PartialEq, SearchSpace)]
struct Quadratic {
    #[param(-LIMIT..=LIMIT)]
    x: f64,
    #[param(-10..=10)]
    y: i32,
    #[param(0.0..=5.0)]
    shift: Option<f64>,
}

impl Quadratic {
    fn value(&self) -> f64 {
        let s = self.shift.unwrap_or(2.0);
        (self.x - 1.0).powi(2) + (f64::from(self.y) + 3.0).powi(2) + (s - 2.0).powi(2)
    }
}

#[test]
fn a_study_over_a_typed_space_improves() {
    let study = study(1);
    study
        .optimize_with(Optimize::trials(40).progress_bar(false), |trial: &mut Trial| {
            let q: Quadratic = trial.suggest()?;
            Ok::<_, Error>(q.value())
        })
        .unwrap();
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), 40);
    let first = trials[0].value.unwrap();
    let best = study.best_value().unwrap();
    assert!(best < first && best < 10.0, "first {first}, best {best}");
    // The best parameters rebuild the typed value that scored them.
    let q: Quadratic = Trial::fixed(study.best_params().unwrap()).suggest().unwrap();
    assert!((q.value() - best).abs() < 1e-12);
}
