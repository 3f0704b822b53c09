//! `bo`: list, inspect, export, plot and report the studies of a storage; `bo bench` drives
//! the benchmark harness over JSON lines. Logs go to stderr (`RUST_LOG` filters them; default `warn`).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use bo_cli::{EvaluatorKind, ExportFormat, ImportanceOptions, PlotKind};
use bo_core::Storage;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

/// Parses a plot kind by its name, offering (and documenting) every kind in `--help`.
fn plot_kind() -> impl TypedValueParser<Value = PlotKind> {
    PossibleValuesParser::new(PlotKind::ALL.map(|k| PossibleValue::new(k.name()).help(k.description())))
        .try_map(|name| name.parse::<PlotKind>())
}

/// Bayesian hyperparameter optimization: inspect studies, export trials, run benchmarks.
#[derive(Parser)]
#[command(name = "bo", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct StorageArg {
    /// Where the studies live: `sqlite:PATH` (a SQLite file), `postgres://user@host:port/db`
    /// (feature `postgres`, default) or `memory:`.
    #[arg(long, env = "BO_STORAGE", default_value = "sqlite:bo.db", value_name = "URL")]
    storage: String,
}

impl StorageArg {
    fn open(&self) -> anyhow::Result<Arc<dyn Storage>> {
        bo_core::open_storage(&self.storage).with_context(|| format!("cannot open storage `{}`", self.storage))
    }
}

#[derive(Subcommand)]
enum Command {
    /// List studies: name, direction, number of trials, best value.
    Studies {
        #[command(flatten)]
        storage: StorageArg,
    },
    /// List the trials of a study: number, state, value, duration, parameters.
    Trials {
        /// Study name.
        study: String,
        #[command(flatten)]
        storage: StorageArg,
    },
    /// Show the best completed trial of a study.
    Best {
        /// Study name.
        study: String,
        /// Print `{"number":…,"value":…,"params":{…}}` instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        storage: StorageArg,
    },
    /// Export every trial of a study as CSV or JSON.
    Export {
        /// Study name.
        study: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        storage: StorageArg,
    },
    /// Draw one plot of a study to an SVG or PNG file (format from the extension).
    Plot {
        /// Which plot.
        #[arg(value_parser = plot_kind())]
        kind: PlotKind,
        /// Study name.
        study: String,
        /// Output file: `NAME.svg` or `NAME.png`.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Parameters to show (parallel, slice, importance), or the two of a contour: `x,y`.
        #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
        params: Vec<String>,
        #[command(flatten)]
        importance: ImportanceArgs,
        #[command(flatten)]
        storage: StorageArg,
    },
    /// Print the importance of each parameter (fANOVA or mean decrease in impurity of a
    /// random forest fitted to the completed trials).
    Importance {
        /// Study name.
        study: String,
        /// Only these parameters: `a,b,...`.
        #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
        params: Vec<String>,
        /// Print the importances as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        importance: ImportanceArgs,
        #[command(flatten)]
        storage: StorageArg,
    },
    /// Write a self-contained HTML report: summary, best trials and every plot inline as SVG.
    Report {
        /// Study name.
        study: String,
        /// Output file (HTML).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        storage: StorageArg,
    },
    /// Serve one in-memory study over the benchmark harness's JSON-lines protocol
    /// (requests on stdin, one reply line each on stdout).
    Bench,
    #[command(flatten)]
    Service(bo_cli::ServiceCommand),
}

#[derive(Args)]
struct ImportanceArgs {
    /// Importance evaluator.
    #[arg(long, value_enum, default_value_t = EvaluatorKind::Fanova)]
    evaluator: EvaluatorKind,
    /// Trees of the random forest.
    #[arg(long, default_value_t = 64)]
    trees: usize,
    /// Seed of the random forest.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl ImportanceArgs {
    fn options(&self) -> ImportanceOptions {
        ImportanceOptions { evaluator: self.evaluator, n_trees: self.trees, seed: self.seed }
    }
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match cli.command {
        Command::Studies { storage } => bo_cli::write_studies(storage.open()?.as_ref(), &mut out)?,
        Command::Trials { study, storage } => bo_cli::write_trials(storage.open()?.as_ref(), &study, &mut out)?,
        Command::Best { study, json, storage } => bo_cli::write_best(storage.open()?.as_ref(), &study, json, &mut out)?,
        Command::Export { study, format, output, storage } => {
            let storage = storage.open()?;
            match output {
                Some(path) => {
                    let file = std::fs::File::create(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
                    let mut file = BufWriter::new(file);
                    bo_cli::write_export(storage.as_ref(), &study, format, &mut file)?;
                    file.flush().with_context(|| format!("cannot write `{}`", path.display()))?;
                }
                None => bo_cli::write_export(storage.as_ref(), &study, format, &mut out)?,
            }
        }
        Command::Plot { kind, study, output, params, importance, storage } => {
            bo_cli::write_plot(storage.open()?.as_ref(), &study, kind, &params, importance.options(), &output)?;
        }
        Command::Importance { study, params, json, importance, storage } => {
            bo_cli::write_importance(storage.open()?.as_ref(), &study, &params, importance.options(), json, &mut out)?;
        }
        Command::Report { study, output, storage } => {
            let storage = storage.open()?;
            let mut html = Vec::new();
            bo_cli::write_report(storage.as_ref(), &study, &mut html)?;
            std::fs::write(&output, html).with_context(|| format!("cannot write `{}`", output.display()))?;
        }
        Command::Bench => {
            let stdin = std::io::stdin();
            bo_cli::serve(stdin.lock(), &mut out)?;
        }
        Command::Service(cmd) => cmd.run(&mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
