//! GPUs on this host through NVML, behind [`GpuSource`] so the rest is
//! tested with recorded readings. `nvml-wrapper` loads the driver library
//! at run time: a host without one has no GPUs, which is normal.

use serde::{Deserialize, Serialize};

/// One GPU at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuReading {
    /// Its index.
    pub index: u32,
    /// Its model, e.g. `NVIDIA H200`.
    pub name: String,
    /// Busy percentage over the last sample period.
    pub util_percent: f64,
    /// Memory in use, bytes.
    pub memory_used: u64,
    /// Memory in all, bytes.
    pub memory_total: u64,
    /// Degrees Celsius, when reported.
    pub temperature_c: Option<f64>,
    /// Watts, when reported.
    pub power_w: Option<f64>,
    /// GPU memory by process: (pid, bytes).
    pub processes: Vec<(u32, u64)>,
}

/// Where GPU readings come from.
pub trait GpuSource: Send {
    /// The GPUs now; an error says what failed (the sampler is retried).
    fn read(&mut self) -> Result<Vec<GpuReading>, String>;
}

/// No GPUs: the driver library or a device is missing. Says why once.
#[derive(Debug)]
pub struct NoGpus(pub String);

impl GpuSource for NoGpus {
    fn read(&mut self) -> Result<Vec<GpuReading>, String> {
        Ok(Vec::new())
    }
}

/// NVIDIA GPUs through NVML.
pub struct Nvml(nvml_wrapper::Nvml);

impl std::fmt::Debug for Nvml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nvml")
    }
}

impl Nvml {
    /// NVML if the driver library loads; else [`NoGpus`] and the reason.
    pub fn open() -> (Box<dyn GpuSource>, Option<String>) {
        match nvml_wrapper::Nvml::init() {
            Ok(nvml) => (Box::new(Nvml(nvml)), None),
            Err(e) => {
                let why = format!("no GPUs on this host (NVML: {e})");
                (Box::new(NoGpus(why.clone())), Some(why))
            }
        }
    }
}

impl GpuSource for Nvml {
    fn read(&mut self) -> Result<Vec<GpuReading>, String> {
        use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
        let count = self.0.device_count().map_err(|e| format!("NVML device count: {e}"))?;
        let mut gpus = Vec::with_capacity(count as usize);
        for index in 0..count {
            let device = self.0.device_by_index(index).map_err(|e| format!("NVML device {index}: {e}"))?;
            let memory = device.memory_info().map_err(|e| format!("NVML memory of GPU {index}: {e}"))?;
            let processes = device
                .running_compute_processes()
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let bytes = match p.used_gpu_memory {
                        nvml_wrapper::enums::device::UsedGpuMemory::Used(bytes) => bytes,
                        nvml_wrapper::enums::device::UsedGpuMemory::Unavailable => 0,
                    };
                    (p.pid, bytes)
                })
                .collect();
            gpus.push(GpuReading {
                index,
                name: device.name().unwrap_or_else(|_| format!("GPU {index}")),
                util_percent: device.utilization_rates().map(|u| f64::from(u.gpu)).unwrap_or(0.0),
                memory_used: memory.used,
                memory_total: memory.total,
                temperature_c: device.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
                power_w: device.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
                processes,
            });
        }
        Ok(gpus)
    }
}

/// Readings recorded from a real GPU, replayed in order (then the last
/// again): tests and machines without NVML use it.
#[derive(Debug)]
pub struct Recorded(pub Vec<Vec<GpuReading>>, pub usize);

impl GpuSource for Recorded {
    fn read(&mut self) -> Result<Vec<GpuReading>, String> {
        let at = self.1.min(self.0.len().saturating_sub(1));
        self.1 += 1;
        Ok(self.0.get(at).cloned().unwrap_or_default())
    }
}
