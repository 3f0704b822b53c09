//! `bo bench`: an optimizer speaking the JSON-lines protocol of the benchmark harness
//! (`shared/bench/README.md`, "Driving an external optimizer").
//!
//! One process is one study on an in-memory storage. Requests arrive one per line on
//! stdin, exactly one reply line goes to stdout per request, logs go to stderr.

mod factory;
mod protocol;
mod server;
mod space;

pub use factory::{make_pruner, make_sampler};
pub use server::{BenchServer, serve};
