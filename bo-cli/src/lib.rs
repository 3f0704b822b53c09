//! The `bo` command as a library: every command is a function over a [`Storage`] and a
//! writer, so it runs the same from the binary and from tests.
//!
//! | command | function |
//! |---|---|
//! | `bo studies` | [`write_studies`] |
//! | `bo trials STUDY` | [`write_trials`] |
//! | `bo best STUDY [--json]` | [`write_best`] |
//! | `bo export STUDY --format csv\|json` | [`write_export`] |
//! | `bo plot KIND STUDY -o FILE.svg\|png` | [`write_plot`], [`figure`] |
//! | `bo importance STUDY [--evaluator fanova\|mdi]` | [`write_importance`] |
//! | `bo report STUDY -o FILE.html` | [`write_report`] |
//! | `bo bench` | [`BenchServer`], [`serve`] (JSON-lines protocol of the benchmark harness) |
//!
//! ```
//! use bo_core::{Float, Study, Trial};
//! let study = Study::builder().name("demo").seed(1).build()?;
//! study.optimize_with(bo_core::Optimize::trials(3).progress_bar(false), |t: &mut Trial| {
//!     Ok::<_, bo_core::Error>(t.suggest_float("x", Float::new(0.0, 1.0))?)
//! })?;
//! let mut out = Vec::new();
//! bo_cli::write_trials(study.storage().as_ref(), "demo", &mut out)?;
//! assert_eq!(String::from_utf8(out)?.lines().count(), 2 + 3); // header, rule, 3 trials
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! [`Storage`]: bo_core::Storage

mod bench;
mod best;
mod csv;
mod export;
mod format;
mod importance;
mod plot;
mod report;
mod service;
mod studies;
mod table;
mod trials;

pub use bench::{BenchServer, make_pruner, make_sampler, serve};
pub use best::write_best;
pub use csv::csv_field;
pub use export::{ExportFormat, write_export};
pub use importance::write_importance;
pub use bo_core::storage::load_study;
pub use plot::{EvaluatorKind, ImportanceOptions, PlotKind, figure, importances, write_plot};
pub use report::write_report;
pub use service::{AuthArg, ServeArgs, ServiceCommand, TokenCommand, UserCommand};
pub use studies::write_studies;
pub use table::{Align, Table};
pub use trials::write_trials;
