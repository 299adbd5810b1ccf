//! Self-contained SVG charts: no scripts, no fonts fetched, sizes in the viewBox so they
//! scale on screen and print. The web dashboard reuses this module.

use std::fmt::Write;

/// One named series of values, aligned with the chart's labels; `None` is a value not
/// known (a period with nothing to compare with), drawn as a gap, never as 0.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
    /// Where each value leads (the records behind it), by position; none for the rest.
    pub links: Vec<Option<String>>,
}

impl Series {
    /// The values with the unknown ones as 0, for bars (a missing bar and a bar of 0 look
    /// the same).
    pub fn filled(&self) -> Vec<f64> {
        self.values.iter().map(|v| v.unwrap_or(0.0)).collect()
    }
}

/// `mark` (an SVG element) wrapped in a link to `href`, when it has one.
fn linked(svg: &mut String, href: Option<&str>, mark: &str) {
    match href {
        Some(href) => {
            let _ = write!(svg, "<a href=\"{}\">{mark}</a>", escape(href));
        }
        None => svg.push_str(mark),
    }
}

const PALETTE: [&str; 8] = [
    "#2f6fb3", "#e07b39", "#3a9e6a", "#c94f6d", "#7a5cb8", "#c9a227", "#4fa3b8", "#8c8c8c",
];
const WIDTH: f64 = 720.0;
const LABEL_WIDTH: f64 = 190.0;
const ROW: f64 = 24.0;

/// Text safe inside SVG or HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn open(height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" \
         font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\"><title>{}</title>",
        escape(title)
    )
}

fn short(value: f64) -> String {
    let a = value.abs();
    if a >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if a.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Horizontal bars, one per label; `centered` draws a funnel. A bar with a link (`links`,
/// by position) leads there, its label and figure with it.
fn bars(
    title: &str,
    labels: &[String],
    values: &[f64],
    centered: bool,
    format: &dyn Fn(f64) -> String,
    links: &[Option<String>],
) -> String {
    let height = ROW * labels.len() as f64 + 16.0;
    let max = values
        .iter()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let room = WIDTH - LABEL_WIDTH - 70.0;
    let mut svg = open(height, title);
    for (i, (label, value)) in labels.iter().zip(values).enumerate() {
        let y = 8.0 + i as f64 * ROW;
        let w = (value.max(0.0) / max * room).max(1.0);
        let x = if centered {
            LABEL_WIDTH + (room - w) / 2.0
        } else {
            LABEL_WIDTH
        };
        let link = links.get(i).and_then(Option::as_deref);
        if let Some(href) = link {
            let _ = write!(svg, "<a href=\"{}\">", escape(href));
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\" rx=\"2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{}</text>",
            LABEL_WIDTH - 8.0,
            y + 15.0,
            escape(label),
            y + 3.0,
            ROW - 6.0,
            PALETTE[0],
            x + w + 6.0,
            y + 15.0,
            escape(&format(*value))
        );
        if link.is_some() {
            svg.push_str("</a>");
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars, each leading to its link if it has one.
pub fn bar(
    title: &str,
    labels: &[String],
    values: &[f64],
    format: &dyn Fn(f64) -> String,
    links: &[Option<String>],
) -> String {
    bars(title, labels, values, false, format, links)
}

/// A funnel: centred bars narrowing stage by stage.
pub fn funnel(title: &str, labels: &[String], values: &[f64]) -> String {
    bars(title, labels, values, true, &short, &[])
}

fn axis_frame(svg: &mut String, height: f64, max: f64, left: f64) {
    for step in 0..=4 {
        let y = 10.0 + (height - 40.0) * (1.0 - step as f64 / 4.0);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e3e3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#666\">{}</text>",
            WIDTH - 10.0,
            left - 6.0,
            y + 4.0,
            short(max * step as f64 / 4.0)
        );
    }
}

fn legend(svg: &mut String, series: &[Series], y: f64) {
    let mut x = 60.0;
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{}</text>",
            y - 9.0,
            PALETTE[i % PALETTE.len()],
            x + 14.0,
            y,
            escape(&s.name)
        );
        x += 24.0 + 7.0 * s.name.chars().count() as f64;
    }
}

/// Lines over time, one per series: a line through the known values, broken where one is
/// not known, and a point on each value with its exact figure (`format`) as a tooltip, so a
/// single period still shows.
pub fn line(
    title: &str,
    labels: &[String],
    series: &[Series],
    format: &dyn Fn(f64) -> String,
) -> String {
    let height = 260.0;
    let left = 60.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut svg = open(height, title);
    axis_frame(&mut svg, height, max, left);
    // One label sits in the middle; more spread from edge to edge.
    let x = |i: usize| match labels.len() {
        0 | 1 => left + (WIDTH - left - 20.0) / 2.0,
        n => left + (WIDTH - left - 20.0) * i as f64 / (n - 1) as f64,
    };
    let y = |v: f64| 10.0 + (height - 40.0) * (1.0 - v / max);
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        // Each run of known values is a line of its own.
        let mut runs: Vec<Vec<String>> = vec![Vec::new()];
        for (i, value) in s.values.iter().enumerate() {
            match value {
                Some(v) => {
                    runs.last_mut()
                        .expect("a run")
                        .push(format!("{:.1},{:.1}", x(i), y(*v)))
                }
                None => runs.push(Vec::new()),
            }
        }
        for points in runs.iter().filter(|points| points.len() > 1) {
            let _ = write!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                points.join(" ")
            );
        }
        for (i, value) in s.values.iter().enumerate() {
            if let Some(v) = value {
                let href = s.links.get(i).and_then(Option::as_deref);
                // A point that leads somewhere is a bigger target.
                let radius = if href.is_some() { 5 } else { 3 };
                let mark = format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{radius}\" fill=\"{colour}\"><title>{}</title></circle>",
                    x(i),
                    y(*v),
                    escape(&format!(
                        "{} · {}: {}",
                        s.name,
                        labels.get(i).map_or("", String::as_str),
                        format(*v)
                    ))
                );
                linked(&mut svg, href, &mark);
            }
        }
    }
    let room = (WIDTH - left - 20.0) / labels.len().max(2).saturating_sub(1) as f64;
    let every = thinned(labels, room, 8);
    for (i, label) in labels.iter().enumerate().step_by(every) {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666\">{}</text>",
            x(i),
            height - 14.0,
            fitted(label, room * every as f64 - 4.0)
        );
    }
    legend(&mut svg, series, height - 1.0);
    svg.push_str("</svg>");
    svg
}

/// About how wide a character of the charts' 12-pixel text is.
const CHAR_WIDTH: f64 = 7.0;

/// Every how many labels one is written along an axis where each has `room` pixels: at most
/// `most` of them, and never so close that the widest would touch its neighbours.
fn thinned(labels: &[String], room: f64, most: usize) -> usize {
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let apart = ((widest * CHAR_WIDTH + 8.0) / room.max(1.0)).ceil() as usize;
    labels.len().div_ceil(most).max(apart).max(1)
}

/// `label` cut with an ellipsis to fit `room` pixels, so that neighbours never overlap; the
/// whole label stays as the text's tooltip.
fn fitted(label: &str, room: f64) -> String {
    let most = ((room / CHAR_WIDTH).floor() as usize).max(2);
    let shown: String = if label.chars().count() > most {
        label.chars().take(most - 1).chain(['…']).collect()
    } else {
        label.to_owned()
    };
    format!("{}<title>{}</title>", escape(&shown), escape(label))
}

/// The labels under vertical bars `slot` wide from `left`, at most ten of them.
fn slot_labels(svg: &mut String, labels: &[String], left: f64, slot: f64, height: f64) {
    let every = thinned(labels, slot, 10);
    for (i, label) in labels.iter().enumerate().step_by(every) {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666\">{}</text>",
            left + (i as f64 + 0.5) * slot,
            height - 16.0,
            fitted(label, slot * every as f64 - 4.0)
        );
    }
}

/// Vertical bars per label, stacked by series.
pub fn stacked(
    title: &str,
    labels: &[String],
    series: &[Series],
    format: &dyn Fn(f64) -> String,
) -> String {
    let height = 280.0;
    let left = 60.0;
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().flatten().unwrap_or(0.0).max(0.0))
                .sum()
        })
        .collect();
    let max = totals
        .iter()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut svg = open(height, title);
    axis_frame(&mut svg, height, max, left);
    let slot = (WIDTH - left - 20.0) / labels.len().max(1) as f64;
    let scale = (height - 40.0) / max;
    for (i, label) in labels.iter().enumerate() {
        let mut base = height - 30.0;
        for (k, s) in series.iter().enumerate() {
            let value = s.values.get(i).copied().flatten().unwrap_or(0.0).max(0.0);
            let h = value * scale;
            base -= h;
            let mark = format!(
                "<rect x=\"{:.1}\" y=\"{base:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}</title></rect>",
                left + i as f64 * slot + slot * 0.15,
                slot * 0.7,
                PALETTE[k % PALETTE.len()],
                escape(&format!("{} · {label}: {}", s.name, format(value)))
            );
            linked(&mut svg, s.links.get(i).and_then(Option::as_deref), &mark);
        }
    }
    slot_labels(&mut svg, labels, left, slot, height);
    legend(&mut svg, series, height - 1.0);
    svg.push_str("</svg>");
    svg
}

/// A bound of [`range`]: its name and a value per label, `None` where unknown.
pub type Bound = (String, Vec<Option<f64>>);

/// A bar per label for `central`, with the range from `low` to `high` drawn across it as a
/// whisker where both are known.
pub fn range(
    title: &str,
    labels: &[String],
    central: &Series,
    low: &Bound,
    high: &Bound,
    format: &dyn Fn(f64) -> String,
) -> String {
    let height = 280.0;
    let left = 60.0;
    let max = central
        .values
        .iter()
        .flatten()
        .copied()
        .chain(high.1.iter().flatten().copied())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut svg = open(height, title);
    axis_frame(&mut svg, height, max, left);
    let slot = (WIDTH - left - 20.0) / labels.len().max(1) as f64;
    let y = |v: f64| 10.0 + (height - 40.0) * (1.0 - v.max(0.0) / max);
    for (i, value) in central.filled().iter().enumerate() {
        let middle = left + (i as f64 + 0.5) * slot;
        let mark = format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
            middle - slot * 0.3,
            y(*value),
            slot * 0.6,
            height - 30.0 - y(*value),
            PALETTE[0],
            escape(&format!(
                "{} · {}: {}",
                central.name,
                labels[i],
                format(*value)
            ))
        );
        linked(
            &mut svg,
            central.links.get(i).and_then(Option::as_deref),
            &mark,
        );
        if let (Some(Some(from)), Some(Some(to))) = (low.1.get(i), high.1.get(i)) {
            let (top, bottom) = (y(*to), y(*from));
            let cap = slot * 0.12;
            let _ = write!(
                svg,
                "<path d=\"M{:.1},{top:.1}H{:.1}M{middle:.1},{top:.1}V{bottom:.1}M{:.1},{bottom:.1}H{:.1}\" \
                 stroke=\"{}\" stroke-width=\"2\" fill=\"none\"/>",
                middle - cap,
                middle + cap,
                middle - cap,
                middle + cap,
                PALETTE[1]
            );
        }
    }
    slot_labels(&mut svg, labels, left, slot, height);
    let whisker = Series {
        name: format!("{} – {}", low.0, high.0),
        values: Vec::new(),
        links: Vec::new(),
    };
    legend(&mut svg, &[central.clone(), whisker], height - 1.0);
    svg.push_str("</svg>");
    svg
}

/// Bars sorted high to low (the first 30) and the cumulative share of the whole as a line.
pub fn pareto(title: &str, labels: &[String], values: &[f64]) -> String {
    let mut pairs: Vec<(&String, f64)> = labels.iter().zip(values.iter().copied()).collect();
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = pairs
        .iter()
        .map(|p| p.1.max(0.0))
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    pairs.truncate(30);
    let height = 260.0;
    let left = 60.0;
    let max = pairs.first().map_or(1.0, |p| p.1).max(f64::MIN_POSITIVE);
    let mut svg = open(height, title);
    axis_frame(&mut svg, height, max, left);
    let slot = (WIDTH - left - 20.0) / pairs.len().max(1) as f64;
    let scale = (height - 40.0) / max;
    let mut cumulative = 0.0;
    let mut points = Vec::new();
    for (i, (_, value)) in pairs.iter().enumerate() {
        let h = value.max(0.0) * scale;
        let x = left + i as f64 * slot;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"/>",
            x + slot * 0.1,
            height - 30.0 - h,
            slot * 0.8,
            PALETTE[0]
        );
        cumulative += value.max(0.0);
        points.push(format!(
            "{:.1},{:.1}",
            x + slot / 2.0,
            10.0 + (height - 40.0) * (1.0 - cumulative / total)
        ));
    }
    let _ = write!(
        svg,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
        points.join(" "),
        PALETTE[1]
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_drawn_only_where_both_bounds_are_known() {
        let central = Series {
            name: "Expected".into(),
            values: vec![Some(100.0), Some(50.0)],
            links: Vec::new(),
        };
        let low = ("P10".to_owned(), vec![Some(80.0), None]);
        let high = ("P90".to_owned(), vec![Some(200.0), None]);
        let svg = range(
            "F",
            &["a".into(), "b".into()],
            &central,
            &low,
            &high,
            &|v| v.to_string(),
        );
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 2,
            "two bars, two legend keys"
        );
        assert_eq!(svg.matches("<path").count(), 1, "one whisker");
        assert!(svg.contains("P10 – P90"));
        // The axis reaches the highest P90 (200), so the bar of 100 is half as tall.
        assert!(
            svg.contains(
                "<text x=\"54.0\" y=\"14.0\" text-anchor=\"end\" fill=\"#666\">200</text>"
            )
        );
    }

    #[test]
    fn points_and_segments_lead_to_their_records_and_name_their_figure() {
        let labels: Vec<String> = ["Jan", "Feb"].map(String::from).to_vec();
        let series = |name: &str| Series {
            name: name.into(),
            values: vec![Some(3.0), Some(4.0)],
            links: vec![None, Some(format!("/drill?metric={name}&a=1"))],
        };
        let svg = line("t", &labels, &[series("won")], &|v| format!("{v}"));
        assert_eq!(svg.matches("<a href=").count(), 1, "{svg}");
        assert!(
            svg.contains("<a href=\"/drill?metric=won&amp;a=1\"><circle"),
            "{svg}"
        );
        let svg = stacked("t", &labels, &[series("won"), series("lost")], &|v| {
            format!("{v}")
        });
        assert_eq!(svg.matches("<a href=").count(), 2, "{svg}");
        assert!(svg.contains("<title>lost · Feb: 4</title>"), "{svg}");
    }

    #[test]
    fn an_unknown_value_breaks_the_line_and_each_known_one_has_its_figure() {
        let series = Series {
            name: "Revenue".into(),
            values: vec![Some(10.0), None, Some(30.0), Some(40.0)],
            links: Vec::new(),
        };
        let labels: Vec<String> = ["Jan", "Feb", "Mar", "Apr"].map(String::from).to_vec();
        let svg = line("t", &labels, &[series], &|v| format!("{v:.0} €"));
        // Jan stands alone (no line through Feb's gap to 0); Mar–Apr is one line.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("<title>Revenue · Mar: 30 €</title>"), "{svg}");
        assert!(!svg.contains("Feb: "), "{svg}");
        // One period: a marked point, not an empty chart.
        let one = Series {
            name: "Revenue".into(),
            values: vec![Some(5.0)],
            links: Vec::new(),
        };
        let svg = line("t", &labels[..1], &[one], &|v| format!("{v}"));
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
    }

    #[test]
    fn axis_labels_are_thinned_until_they_cannot_touch() {
        let months: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}-01")).collect();
        // 58 pixels each, 78 needed for ten characters: every second one.
        assert_eq!(thinned(&months, 58.0, 8), 2);
        let short: Vec<String> = ["Q1", "Q2", "Q3", "Q4"].map(String::from).to_vec();
        assert_eq!(thinned(&short, 100.0, 8), 1);
        let days: Vec<String> = (1..=31).map(|d| d.to_string()).collect();
        assert_eq!(thinned(&days, 20.0, 8), 4, "at most eight of 31");
    }

    #[test]
    fn labels_are_cut_to_their_room_and_kept_whole_as_a_tooltip() {
        assert_eq!(
            fitted("Bruce Willis", 50.0),
            "Bruce …<title>Bruce Willis</title>"
        );
        assert_eq!(fitted("Ana", 50.0), "Ana<title>Ana</title>");
    }

    #[test]
    fn text_is_escaped() {
        let svg = bar("A & B", &["<script>".into()], &[1.0], &short, &[]);
        assert!(svg.contains("&lt;script&gt;") && svg.contains("A &amp; B"));
        assert!(!svg.contains("<script>"));
    }
}
