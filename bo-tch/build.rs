//! Links test and example binaries of this crate against the libtorch that tch found.
//!
//! Link arguments of a dependency never reach the binaries that use it, so every crate with
//! tch binaries, tests or examples carries this script (see the workspace README, bo-tch):
//! an rpath to libtorch's folder (else `libtorch_cpu.so: cannot open shared object file`),
//! and libtorch_cuda.so linked even though no symbol of it is referenced (else the linker
//! drops it and `tch::Cuda::is_available()` is false on a GPU machine).

fn main() {
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else { return };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    if std::path::Path::new(&lib).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
}
