//! Kubernetes resource quantities: `500m` CPU, `1Gi` or `1G` memory.

/// CPU in thousandths of a core: `"2"` -> 2000, `"500m"` -> 500, `"0.5"` -> 500.
pub fn cpu_milli(quantity: &str) -> Option<u64> {
    let q = quantity.trim();
    if let Some(milli) = q.strip_suffix('m') {
        return milli.parse().ok();
    }
    let cores: f64 = q.parse().ok()?;
    (cores >= 0.0).then(|| (cores * 1000.0).round() as u64)
}

/// Memory in bytes: plain bytes, or with a decimal (`k`, `M`, `G`, `T`) or
/// binary (`Ki`, `Mi`, `Gi`, `Ti`) suffix.
pub fn bytes(quantity: &str) -> Option<u64> {
    let q = quantity.trim();
    const UNITS: [(&str, f64); 10] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("", 1.0),
    ];
    let (number, factor) = UNITS.iter().find_map(|(suffix, factor)| q.strip_suffix(suffix).map(|n| (n, *factor)))?;
    let value: f64 = number.parse().ok()?;
    (value >= 0.0).then(|| (value * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_quantities() {
        assert_eq!(cpu_milli("500m"), Some(500));
        assert_eq!(cpu_milli("2"), Some(2000));
        assert_eq!(cpu_milli("0.25"), Some(250));
        assert_eq!(cpu_milli("lots"), None);
        assert_eq!(bytes("1Gi"), Some(1 << 30));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("512"), Some(512));
        assert_eq!(bytes("-1Mi"), None);
    }
}
