//! Utilization sampling cost with 100 tracked processes, the memory a full
//! series takes, and reading a week of it. Figures, not assertions.
//!
//!   cargo bench -p engine --bench sampling

use std::time::{Duration, Instant};

use engine::metrics::{
    Metrics,
    gpu::NoGpus,
    host::HostSampler,
    owners::{Allocation, Holding, Owner, OwnerKind, ProcessOwners},
    series::{Retention, Series},
};

const TRACKED: usize = 100;
const SAMPLES: usize = 30;

fn main() {
    let owners = ProcessOwners::default();
    let mut children: Vec<std::process::Child> =
        (0..TRACKED).map(|_| std::process::Command::new("sleep").arg("600").spawn().expect("sleep")).collect();
    for (i, child) in children.iter().enumerate() {
        let owner =
            Owner { namespace: "bench".into(), kind: OwnerKind::Run, name: format!("run-{i}"), detail: String::new() };
        owners.register(child.id(), Holding { owner, allocation: Allocation::default() });
    }
    let metrics = Metrics::new(owners, Retention::default());
    let mut host = HostSampler::new();
    let mut gpus = NoGpus("bench".into());
    let mut costs = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let snapshot = metrics.sample(&mut host, &mut gpus, None);
        costs.push(started.elapsed());
        assert_eq!(snapshot.owners.len(), TRACKED);
        metrics.record(snapshot);
    }
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    costs.sort();
    let mean = costs.iter().sum::<Duration>() / costs.len() as u32;
    let p95 = costs[costs.len() * 95 / 100];
    println!(
        "sample with {TRACKED} tracked processes: mean {:.2} ms, p95 {:.2} ms -> {:.2} % of one core at a 1 s interval",
        mean.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        mean.as_secs_f64() * 100.0
    );

    let retention = Retention::default();
    let mut series = Series::new(retention);
    let start = chrono::Utc::now() - chrono::Duration::days(7);
    let filling = Instant::now();
    for s in 0..7 * 24 * 3600 {
        series.push(start + chrono::Duration::seconds(s), (s % 100) as f64);
    }
    let fill = filling.elapsed();
    let reading = Instant::now();
    let week = series.since(start);
    let read = reading.elapsed();
    println!(
        "one series, full: {} KiB of points ({} fine + {} coarse); a week of 1 s pushes {:.1} ns each; reading a week: {} points in {:.1} us",
        Series::full_size(&retention) / 1024,
        retention.fine,
        retention.coarse,
        fill.as_nanos() as f64 / (7.0 * 24.0 * 3600.0),
        week.len(),
        read.as_secs_f64() * 1e6
    );
}
