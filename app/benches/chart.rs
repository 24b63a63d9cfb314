//! Chart render time: a line chart of an hour of 1 s samples (3,600
//! points) and one of six workloads, as the Utilization page draws them.
//! Figures, not assertions.
//!
//!   cargo bench -p app --features ssr --bench chart

use std::time::Instant;

use app::chart::{Frame, Line, line_chart};

fn main() {
    let now = 1_800_000_000;
    let hour: Vec<(i64, f64)> = (0..3_600).map(|i| (now - 3_600 + i, ((i % 97) as f64).sin().abs() * 100.0)).collect();
    let frame = Frame { title: "CPU", unit: "%", span: (now - 3_600, now), y_max: 100.0 };
    for (what, lines) in [
        ("1 line x 3,600 points", vec![Line { name: "host", points: hour.clone() }]),
        ("6 lines x 3,600 points", (0..6).map(|_| Line { name: "workload", points: hour.clone() }).collect::<Vec<_>>()),
    ] {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..20 {
            let started = Instant::now();
            size = line_chart(&frame, &lines, 520, 230).expect("chart").len();
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!("{what}: median {:.2} ms, {} KiB of SVG", times[times.len() / 2], size / 1024);
    }
}
