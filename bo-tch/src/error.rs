//! The one error type of bo-tch.

/// What can go wrong while a tch (libtorch) training runs as a trial.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of bo-core: a storage failure, a non-finite value, or `bo_core::Error::Pruned`
    /// when the pruner stopped the training (the study then marks the trial PRUNED; see
    /// [`Error::is_pruned`]).
    #[error(transparent)]
    Core(#[from] bo_core::Error),
    /// libtorch could not allocate a tensor: on CUDA, the trials sharing the GPU (or one
    /// trial's batch) need more memory than it has. The trial fails with this reason; the
    /// process and the other trials go on.
    #[error(
        "out of memory on {device} with {concurrent} trial(s) running there: lower n_jobs, the device's max_concurrent or the batch size ({message})"
    )]
    OutOfMemory {
        /// The device (`cpu`, `cuda:0`).
        device: String,
        /// Trials holding a slot on that device when it happened, this one included.
        concurrent: usize,
        /// libtorch's message (its first line).
        message: String,
    },
    /// Any other libtorch error (shape mismatch, wrong kind, file format, …).
    #[error("libtorch error: {0}")]
    Torch(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A device name that is not `auto`, `cpu`, `cuda` or `cuda:N`.
    #[error("invalid device `{name}`: expected auto, cpu, cuda or cuda:N")]
    InvalidDevice {
        /// The text given.
        name: String,
    },
    /// A CUDA device was asked for that this machine (or this libtorch) does not have.
    #[error("CUDA device {index} is not available: libtorch sees {count} CUDA device(s)")]
    CudaUnavailable {
        /// The index asked for.
        index: usize,
        /// CUDA devices libtorch sees.
        count: usize,
    },
    /// A configuration value out of its allowed range.
    #[error("invalid configuration: {what}: {reason}")]
    InvalidConfig {
        /// The setting.
        what: &'static str,
        /// Why it is rejected.
        reason: String,
    },
}

impl Error {
    /// Whether this error means "the pruner stopped the trial".
    pub fn is_pruned(&self) -> bool {
        matches!(self, Error::Core(e) if e.is_pruned())
    }

    /// Whether this error is libtorch running out of memory ([`Error::OutOfMemory`]).
    pub fn is_out_of_memory(&self) -> bool {
        matches!(self, Error::OutOfMemory { .. })
    }
}

impl From<bo_core::Pruned> for Error {
    fn from(p: bo_core::Pruned) -> Self {
        Error::Core(p.into())
    }
}

impl From<tch::TchError> for Error {
    /// libtorch's allocation failures become [`Error::OutOfMemory`] (device unknown: `?`);
    /// [`crate::DeviceSlots::run`] fills in the device and the trials sharing it.
    fn from(e: tch::TchError) -> Self {
        let message = e.to_string();
        if is_out_of_memory_message(&message) {
            Error::OutOfMemory { device: "?".into(), concurrent: 0, message: first_line(&message) }
        } else {
            Error::Torch(Box::new(e))
        }
    }
}

/// Whether a libtorch error text (or a panic message carrying one) reports a failed
/// allocation: the CUDA caching allocator's "CUDA out of memory", the CPU allocator's
/// "can't allocate memory", or a CUDA runtime "out of memory" status.
pub(crate) fn is_out_of_memory_message(text: &str) -> bool {
    text.contains("CUDA out of memory")
        || text.contains("DefaultCPUAllocator: can't allocate memory")
        || text.contains("CUDA error: out of memory")
        || text.contains("CUBLAS_STATUS_ALLOC_FAILED")
}

/// The first line of a libtorch message, without its C++ backtrace.
pub(crate) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_string()
}

/// `Result` with bo-tch's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn a_failed_allocation_becomes_out_of_memory() {
        // 2^50 floats (4 PiB): more than any address space holds, so libtorch's CPU
        // allocator refuses it at once.
        let e = Tensor::f_zeros([1i64 << 50], (Kind::Float, Device::Cpu)).map(|_| ()).unwrap_err();
        let e = Error::from(e);
        assert!(e.is_out_of_memory(), "{e}");
        let text = e.to_string();
        assert!(text.starts_with("out of memory on ?"), "{text}");
        assert!(text.contains("can't allocate memory") && !text.contains('\n'), "{text}");
    }

    #[test]
    fn other_libtorch_errors_stay_torch_errors() {
        let a = Tensor::zeros([2, 3], (Kind::Float, Device::Cpu));
        let b = Tensor::zeros([2, 3], (Kind::Float, Device::Cpu));
        let e = Error::from(a.f_matmul(&b).map(|_| ()).unwrap_err());
        assert!(matches!(e, Error::Torch(_)) && !e.is_out_of_memory(), "{e}");
        assert!(e.to_string().contains("cannot be multiplied"), "{e}");
    }

    #[test]
    fn cuda_allocator_messages_are_recognized() {
        let cuda = "Internal torch error: CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 79.10 GiB total capacity; 70.02 GiB already allocated)\nException raised from malloc at ...";
        assert!(is_out_of_memory_message(cuda));
        assert_eq!(first_line(cuda).len(), cuda.find('\n').unwrap());
        assert!(is_out_of_memory_message("CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported"));
        assert!(!is_out_of_memory_message("Internal torch error: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"));
        assert!(!is_out_of_memory_message("trial was pruned"));
    }
}
