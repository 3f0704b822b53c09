//! Placeholder for burn-tch 0.21.0: empty on purpose (see this crate's Cargo.toml). Burn's
//! libtorch backend cannot coexist with bo-tch's tch 0.24 in one workspace.
