//! `cargo xtask bench`: the figures the closing notes report, measured
//! against the release binary: SSR latency of the home page, idle RSS,
//! and the size of the wasm bundle.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

const REQUESTS: usize = 500;

/// Runs the benchmark against `<profile_dir>/ferroflow`.
pub fn run(profile_dir: &Path) -> Result<()> {
    let binary = profile_dir.join("ferroflow");
    if !binary.exists() {
        bail!("{} is missing: run `cargo xtask build --release` first", binary.display());
    }
    let data_dir = std::env::temp_dir().join(format!("ferroflow-bench-{}", std::process::id()));
    let mut server = Command::new(&binary)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env("NO_COLOR", "1")
        .env("FERROFLOW_LOG", "warn,server=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start ferroflow")?;
    let result = measure(&mut server);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data_dir);
    result?;
    wasm_size(profile_dir)
}

fn measure(server: &mut Child) -> Result<()> {
    let address = ready_address(server)?;
    for _ in 0..20 {
        get(&address, "/")?; // warm up
    }
    let mut latencies = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let start = Instant::now();
        let body = get(&address, "/?ns=default")?;
        latencies.push(start.elapsed());
        if !body.contains("Recent runs") {
            bail!("home page did not render: {body}");
        }
    }
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    println!(
        "SSR home page, {REQUESTS} sequential requests: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
        ms(pct(50)),
        ms(pct(90)),
        ms(pct(99))
    );
    std::thread::sleep(Duration::from_secs(2)); // let it go idle
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id()))?;
    let rss = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: ?");
    println!("idle RSS after the run: {}", rss.trim_start_matches("VmRSS:").trim());
    Ok(())
}

/// Reads the server's log until it says where it listens.
fn ready_address(server: &mut Child) -> Result<String> {
    let stdout = server.stdout.take().context("server stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(rest) = line.split("address=").nth(1) {
            return Ok(rest.split_whitespace().next().unwrap_or_default().to_owned());
        }
    }
    bail!("ferroflow exited before it was ready")
}

/// One HTTP/1.1 GET on a fresh connection; the response as text.
fn get(address: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(address)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

fn wasm_size(profile_dir: &Path) -> Result<()> {
    let pkg = profile_dir.join("site/pkg");
    for entry in std::fs::read_dir(&pkg)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name.ends_with(".wasm") || name.ends_with(".wasm.gz") || name.ends_with(".wasm.br") {
            println!("{name}: {} KB", std::fs::metadata(&path)?.len() / 1024);
        }
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
