//! Line charts drawn on the server with `plotters`' SVG backend: axes with
//! units, colours that read on light and dark backgrounds, and no
//! background of their own. Text is measured without font files. The
//! legend is not drawn on the plot (where it hides lines): the page lists
//! it under the chart, line `i` in colour `i` ([`PALETTE_SIZE`]).

use plotters::prelude::*;

/// One line: its name and its points (unix seconds, value).
pub struct Line<'a> {
    /// Legend text.
    pub name: &'a str,
    /// Points, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// A chart's frame.
pub struct Frame<'a> {
    /// Title over the chart.
    pub title: &'a str,
    /// Unit on the y axis, e.g. `%` or `GiB`.
    pub unit: &'a str,
    /// The time span shown: (from, to), unix seconds.
    pub span: (i64, i64),
    /// Lowest y-axis maximum (e.g. 100 for percentages).
    pub y_max: f64,
}

/// Mid-tone colours, legible on white and on a dark surface.
const PALETTE: [RGBColor; 6] = [
    RGBColor(79, 70, 229),
    RGBColor(5, 150, 105),
    RGBColor(217, 119, 6),
    RGBColor(220, 38, 38),
    RGBColor(8, 145, 178),
    RGBColor(147, 51, 234),
];

/// How many colours lines take in turn; the page's legend classes
/// (`legend__swatch--0` ...) follow the same order.
pub const PALETTE_SIZE: usize = PALETTE.len();

/// Axis and label colour, mid grey for either background.
const INK: RGBColor = RGBColor(128, 134, 150);

/// At most `max` points: runs of neighbours averaged, so a line never has
/// more points than the chart has pixels across.
pub fn thin(points: &[(i64, f64)], max: usize) -> Vec<(i64, f64)> {
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|run| {
            let n = run.len() as f64;
            (run[run.len() / 2].0, run.iter().map(|p| p.1).sum::<f64>() / n)
        })
        .collect()
}

/// The chart as SVG markup, `width` x `height` pixels.
pub fn line_chart(frame: &Frame, lines: &[Line], width: u32, height: u32) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let top = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(frame.y_max, f64::max);
        let text = |size: u32| ("sans-serif", size).into_font().color(&INK);
        let mut chart = ChartBuilder::on(&root)
            .caption(frame.title, text(15))
            .margin(8)
            .x_label_area_size(26)
            .y_label_area_size(58)
            .build_cartesian_2d(frame.span.0..frame.span.1.max(frame.span.0 + 1), 0.0..top * 1.05)
            .map_err(|e| e.to_string())?;
        let span = frame.span.1 - frame.span.0;
        let clock = move |t: &i64| {
            let time = chrono::DateTime::from_timestamp(*t, 0).unwrap_or_default();
            time.format(if span > 86_400 { "%m-%d %H:%M" } else { "%H:%M" }).to_string()
        };
        chart
            .configure_mesh()
            .light_line_style(INK.mix(0.08))
            .bold_line_style(INK.mix(0.25))
            .x_max_light_lines(1)
            .y_max_light_lines(1)
            .axis_style(INK.mix(0.6))
            .label_style(text(12))
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&clock)
            .y_label_formatter(&|v| {
                // Small scales (a core or two) need a decimal to tell ticks apart.
                if top < 10.0 { format!("{v:.1} {}", frame.unit) } else { format!("{v:.0} {}", frame.unit) }
            })
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, line) in lines.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(thin(&line.points, width as usize), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> String {
        let frame = Frame { title: "GPU 0 utilization", unit: "%", span: (1_800_000_000, 1_800_000_600), y_max: 100.0 };
        let lines = [
            Line { name: "GPU 0", points: (0..=60).map(|i| (1_800_000_000 + i * 10, (i % 7) as f64 * 12.5)).collect() },
            Line { name: "GPU 1", points: vec![(1_800_000_000, 0.0), (1_800_000_600, 50.0)] },
        ];
        line_chart(&frame, &lines, 480, 220).unwrap()
    }

    #[test]
    fn long_lines_are_thinned_to_the_charts_width_by_averaging() {
        let points: Vec<(i64, f64)> = (0..1000).map(|i| (i, (i % 2) as f64)).collect();
        let thinned = thin(&points, 100);
        assert_eq!(thinned.len(), 100);
        assert!(thinned.iter().all(|p| (p.1 - 0.5).abs() < 1e-9), "pairs of 0 and 1 average to 0.5");
        assert_eq!(thin(&points[..50], 100).len(), 50, "short lines stay as they are");
    }

    #[test]
    fn a_chart_matches_its_snapshot() {
        let svg = chart();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/gpu-utilization.svg");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &svg).unwrap();
        }
        let expected = std::fs::read_to_string(path).expect("snapshot (UPDATE_SNAPSHOTS=1 writes it)");
        assert_eq!(svg, expected, "the chart changed; look at it and rerun with UPDATE_SNAPSHOTS=1");
    }

    #[test]
    fn a_chart_has_axes_and_units_and_no_legend_or_background_of_its_own() {
        let svg = chart();
        assert!(svg.starts_with("<svg"), "{svg:.200}");
        assert!(svg.contains("GPU 0 utilization"));
        assert!(svg.contains("100 %") || svg.contains("50 %"), "y labels carry the unit");
        assert!(!svg.contains("\nGPU 1\n"), "the legend is the page's, under the plot, not over the lines");
        assert!(svg.matches("<polyline").count() >= 2, "one line per series");
        assert!(!svg.contains("fill=\"#FFFFFF\""), "no white background: the page's shows through");
    }
}
