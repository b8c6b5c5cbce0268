//! The page's two charts, drawn as inline SVG: launches per day as bars, unique users per day as
//! a line. Every mark carries its day and exact value in `data-*` and a tooltip.

use std::fmt::Write as _;

use super::escape::escape;
use super::number::thousands;
use crate::report::DayUsage;

const CHART_WIDTH: f64 = 960.0;
const CHART_HEIGHT: f64 = 220.0;
const PLOT_LEFT: f64 = 56.0;
const PLOT_RIGHT: f64 = 12.0;
const PLOT_TOP: f64 = 12.0;
const PLOT_BOTTOM: f64 = 28.0;

/// Launches per day as bars.
pub(super) fn bar_chart(id: &str, labelled_by: &str, days: &[DayUsage]) -> String {
    chart(id, labelled_by, days, |d| d.launches, bars)
}

/// Unique users per day as a line with a point per day.
pub(super) fn line_chart(id: &str, labelled_by: &str, days: &[DayUsage]) -> String {
    chart(id, labelled_by, days, |d| d.unique_users, line)
}

/// One chart: its frame and axes scaled to `value`, then what `marks` draws on them.
fn chart(
    id: &str,
    labelled_by: &str,
    days: &[DayUsage],
    value: fn(&DayUsage) -> u64,
    marks: fn(&Plot, &mut String, &[DayUsage]),
) -> String {
    let plot = Plot::new(days, value);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-labelledby=\"{labelled_by}\" \
         viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    plot.gridlines(&mut svg);
    plot.day_labels(&mut svg, days);
    marks(&plot, &mut svg, days);
    svg.push_str("</svg>\n");
    svg
}

fn bars(plot: &Plot, svg: &mut String, days: &[DayUsage]) {
    let gap = if plot.slot > 4.0 {
        plot.slot * 0.2
    } else {
        0.0
    };
    for (index, day) in days.iter().enumerate() {
        let y = plot.y(day.launches);
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-day=\"{d}\" data-value=\"{v}\" x=\"{x:.2}\" y=\"{y:.2}\" \
             width=\"{w:.2}\" height=\"{h:.2}\"><title>{d}: {n} launches</title></rect>",
            d = escape(&day.day),
            v = day.launches,
            x = plot.x(index) + gap / 2.0,
            w = (plot.slot - gap).max(0.5),
            h = PLOT_TOP + plot.height() - y,
            n = thousands(day.launches),
        );
    }
}

fn line(plot: &Plot, svg: &mut String, days: &[DayUsage]) {
    let centre = |index: usize| plot.x(index) + plot.slot / 2.0;
    let points: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(index, day)| format!("{:.2},{:.2}", centre(index), plot.y(day.unique_users)))
        .collect();
    let _ = write!(
        svg,
        "<polyline class=\"line\" points=\"{}\"/>",
        points.join(" ")
    );
    let radius = (plot.slot / 3.0).clamp(1.5, 4.0);
    for (index, day) in days.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle class=\"dot\" data-day=\"{d}\" data-value=\"{v}\" cx=\"{x:.2}\" cy=\"{y:.2}\" \
             r=\"{radius:.1}\"><title>{d}: {n} unique users</title></circle>",
            d = escape(&day.day),
            v = day.unique_users,
            x = centre(index),
            y = plot.y(day.unique_users),
            n = thousands(day.unique_users),
        );
    }
}

/// The gridline step and the top of the axis for values up to `max`: a round step (1, 2 or 5
/// times a power of ten) and at most five steps, so the tallest bar fills most of the chart.
fn axis_scale(max: u64) -> (u64, u64) {
    let mut power = 1u64;
    loop {
        for step in [power, 2 * power, 5 * power] {
            let steps = max.div_ceil(step).max(1);
            if steps <= 5 {
                return (step, step * steps);
            }
        }
        power *= 10;
    }
}

/// Where values and days fall on the chart.
struct Plot {
    step: u64,
    ceiling: u64,
    /// The width of one day.
    slot: f64,
}

impl Plot {
    fn new(days: &[DayUsage], value: fn(&DayUsage) -> u64) -> Plot {
        let (step, ceiling) = axis_scale(days.iter().map(value).max().unwrap_or(0));
        Plot {
            step,
            ceiling,
            slot: (CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT) / days.len().max(1) as f64,
        }
    }

    fn height(&self) -> f64 {
        CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    }

    fn y(&self, value: u64) -> f64 {
        PLOT_TOP + self.height() * (1.0 - value as f64 / self.ceiling as f64)
    }

    fn x(&self, index: usize) -> f64 {
        PLOT_LEFT + self.slot * index as f64
    }

    /// A gridline at every step, with its value.
    fn gridlines(&self, svg: &mut String) {
        for line in 0..=self.ceiling / self.step {
            let value = line * self.step;
            let y = self.y(value);
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{PLOT_LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"axis\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
                x2 = CHART_WIDTH - PLOT_RIGHT,
                tx = PLOT_LEFT - 6.0,
                ty = y + 4.0,
                label = thousands(value),
            );
        }
    }

    /// At most about ten day labels along the bottom, whatever the range; the last day gets one
    /// unless it would crowd the label before it.
    fn day_labels(&self, svg: &mut String, days: &[DayUsage]) {
        let every = days.len().div_ceil(10).max(1);
        let last = days.len().saturating_sub(1);
        for (index, day) in days.iter().enumerate() {
            let labelled =
                index % every == 0 || (index == last && last % every >= every.div_ceil(2));
            if !labelled {
                continue;
            }
            // A label centred on a narrow last slot would run past the plot's edge.
            let (x, anchor) = if index == last && index > 0 && self.slot < 40.0 {
                (self.x(index) + self.slot, "end")
            } else {
                (self.x(index) + self.slot / 2.0, "middle")
            };
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{x:.1}\" y=\"{y}\" text-anchor=\"{anchor}\">{label}</text>",
                y = CHART_HEIGHT - 8.0,
                label = escape(day.day.get(5..).unwrap_or(&day.day)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_a_round_number_just_above_the_top() {
        assert_eq!(axis_scale(0), (1, 1));
        assert_eq!(axis_scale(5), (1, 5));
        assert_eq!(axis_scale(6), (2, 6));
        assert_eq!(axis_scale(37), (10, 40));
        assert_eq!(axis_scale(223), (50, 250));
        assert_eq!(axis_scale(2119), (500, 2500));
        assert_eq!(axis_scale(64_999), (20_000, 80_000));
    }
}
