//! [`DeviceChoice`]: which device trials train on (CUDA if available, else CPU, or forced).

use std::fmt;
use std::str::FromStr;

use tch::{Cuda, Device};

use crate::error::{Error, Result};

/// The environment variable [`DeviceChoice::from_env`] reads: `auto`, `cpu`, `cuda`, `cuda:N`.
pub const DEVICE_ENV: &str = "BO_TCH_DEVICE";

/// Which device to train on, as a user names it; [`resolve`](Self::resolve) turns it into a
/// [`tch::Device`] once libtorch has been asked what this machine has.
///
/// ```
/// use bo_tch::DeviceChoice;
///
/// assert_eq!("cuda:1".parse::<DeviceChoice>()?, DeviceChoice::Cuda(1));
/// assert_eq!(DeviceChoice::Cpu.resolve()?, tch::Device::Cpu);
/// // `auto` is CUDA device 0 when libtorch sees one, else the CPU.
/// let device = DeviceChoice::Auto.resolve()?;
/// assert_eq!(device.is_cuda(), tch::Cuda::is_available());
/// # Ok::<(), bo_tch::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviceChoice {
    /// CUDA device 0 if libtorch sees a GPU, else the CPU. Default.
    #[default]
    Auto,
    /// The CPU, even when a GPU is present.
    Cpu,
    /// CUDA device `N` (`cuda` alone is device 0); an error where there is none.
    Cuda(usize),
}

impl DeviceChoice {
    /// The choice named by [`DEVICE_ENV`] (`BO_TCH_DEVICE`), [`DeviceChoice::Auto`] when it
    /// is unset or empty; an error when it names no device.
    pub fn from_env() -> Result<Self> {
        match std::env::var(DEVICE_ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(DeviceChoice::Auto),
        }
    }

    /// The libtorch device: for [`DeviceChoice::Cuda`], [`Error::CudaUnavailable`] when
    /// libtorch sees no such GPU (no GPU, no driver, or a CPU-only libtorch).
    pub fn resolve(self) -> Result<Device> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Auto if Cuda::is_available() => Ok(Device::Cuda(0)),
            DeviceChoice::Auto => Ok(Device::Cpu),
            DeviceChoice::Cuda(index) => {
                let count = if Cuda::is_available() { usize::try_from(Cuda::device_count()).unwrap_or(0) } else { 0 };
                if index < count { Ok(Device::Cuda(index)) } else { Err(Error::CudaUnavailable { index, count }) }
            }
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    /// Parses `auto`, `cpu`, `cuda`, `cuda:N` (case and surrounding spaces ignored;
    /// `gpu` is `cuda`).
    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim().to_ascii_lowercase();
        let invalid = || Error::InvalidDevice { name: s.to_string() };
        match name.as_str() {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            _ => {
                let index = name.strip_prefix("cuda:").or_else(|| name.strip_prefix("gpu:")).ok_or_else(invalid)?;
                index.parse().map(DeviceChoice::Cuda).map_err(|_| invalid())
            }
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Auto => f.write_str("auto"),
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// A device's name as users write it: `cpu`, `cuda:0`, `mps`, `vulkan`.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        Device::Mps => "mps".into(),
        Device::Vulkan => "vulkan".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse_and_print_back() -> Result<()> {
        for (text, choice) in [
            ("auto", DeviceChoice::Auto),
            ("cpu", DeviceChoice::Cpu),
            (" CPU ", DeviceChoice::Cpu),
            ("cuda", DeviceChoice::Cuda(0)),
            ("gpu", DeviceChoice::Cuda(0)),
            ("cuda:3", DeviceChoice::Cuda(3)),
        ] {
            assert_eq!(text.parse::<DeviceChoice>()?, choice, "{text}");
            assert_eq!(choice.to_string().parse::<DeviceChoice>()?, choice);
        }
        assert_eq!(DeviceChoice::Cuda(2).to_string(), "cuda:2");
        Ok(())
    }

    #[test]
    fn unknown_device_names_are_rejected() {
        for text in ["", "tpu", "cuda:", "cuda:-1", "cuda:x", "cuda0", "cpu:0"] {
            let e = text.parse::<DeviceChoice>().unwrap_err();
            assert!(matches!(&e, Error::InvalidDevice { name } if name == text), "{text}: {e}");
            assert!(e.to_string().contains("expected auto, cpu, cuda or cuda:N"), "{e}");
        }
    }

    #[test]
    fn cpu_is_always_there_and_a_missing_gpu_is_an_error() -> Result<()> {
        assert_eq!(DeviceChoice::Cpu.resolve()?, Device::Cpu);
        let count = if Cuda::is_available() { Cuda::device_count() as usize } else { 0 };
        let e = DeviceChoice::Cuda(count).resolve().unwrap_err();
        assert!(matches!(e, Error::CudaUnavailable { index, count: c } if index == count && c == count), "{e}");
        let auto = DeviceChoice::Auto.resolve()?;
        assert_eq!(auto, if count > 0 { Device::Cuda(0) } else { Device::Cpu });
        Ok(())
    }

    #[test]
    fn device_names_match_the_choice_syntax() -> Result<()> {
        assert_eq!(device_name(Device::Cuda(1)).parse::<DeviceChoice>()?, DeviceChoice::Cuda(1));
        assert_eq!(device_name(Device::Cpu), "cpu");
        Ok(())
    }
}
