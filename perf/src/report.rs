//! Medians, ratios and the three outputs: a markdown table, a JSON file and an SVG chart.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;
use serde::Serialize;

use crate::cases::{Sample, Unit};

/// Picks one figure of a summary.
type Metric = fn(&Summary) -> f64;

/// The medians of one case on one server.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) wall_s: f64,
    /// MB/s (bytes cases) or operations per second.
    pub(crate) rate: f64,
    /// Server CPU: seconds per GiB (bytes cases) or milliseconds per operation or per session.
    pub(crate) server_cpu: f64,
    /// Client CPU, in the same unit as `server_cpu`.
    pub(crate) client_cpu: f64,
    pub(crate) peak_rss_mib: f64,
    pub(crate) kib_per_session: f64,
    pub(crate) pss_mib: f64,
}

/// One case on one server: every run and their medians, or why it did not run.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) case: &'static str,
    pub(crate) description: String,
    pub(crate) unit: Unit,
    pub(crate) cipher: Option<&'static str>,
    pub(crate) server: &'static str,
    pub(crate) samples: Vec<Sample>,
    pub(crate) median: Option<Summary>,
    pub(crate) not_supported: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

impl Row {
    /// Fills `median` from the samples.
    pub(crate) fn summarise(&mut self) {
        if self.samples.is_empty() {
            return;
        }
        let gib = f64::from(1u32 << 30);
        let per = |s: &Sample, cpu: f64| match self.unit {
            Unit::Bytes => cpu / (s.amount / gib),
            Unit::Ops | Unit::Sessions => cpu * 1000.0 / s.amount,
        };
        let m = |f: &dyn Fn(&Sample) -> f64| median(self.samples.iter().map(f).collect());
        self.median = Some(Summary {
            wall_s: m(&|s| s.wall_s),
            rate: m(&|s| match self.unit {
                Unit::Bytes => s.amount / s.wall_s / 1e6,
                Unit::Ops | Unit::Sessions => s.amount / s.wall_s,
            }),
            server_cpu: m(&|s| per(s, s.server_cpu_s)),
            client_cpu: m(&|s| per(s, s.client_cpu_s)),
            peak_rss_mib: m(&|s| s.peak_rss_bytes as f64 / f64::from(1u32 << 20)),
            kib_per_session: m(&|s| s.bytes_per_session / 1024.0),
            pss_mib: m(&|s| s.pss_bytes as f64 / f64::from(1u32 << 20)),
        });
    }
}

/// Everything a run produced, as written to the JSON file.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) protocol: &'static str,
    pub(crate) command: String,
    pub(crate) started: String,
    pub(crate) runs: usize,
    pub(crate) quick: bool,
    pub(crate) sizes: crate::cases::Sizes,
    pub(crate) machine: serde_json::Value,
    pub(crate) load_before: f64,
    pub(crate) load_after: f64,
    pub(crate) versions: Vec<(&'static str, String)>,
    /// How each server's CPU time was read.
    pub(crate) cpu_sources: Vec<(&'static str, &'static str)>,
    pub(crate) rows: Vec<Row>,
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "–".into()
    }
}

impl Report {
    fn ringway(&self, case: &str) -> Option<Summary> {
        self.rows
            .iter()
            .find(|r| r.case == case && r.server == "ringway")
            .and_then(|r| r.median)
    }

    /// The markdown report: machine notes, then one table per kind of case.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "`{}`\n", self.command);
        let _ = writeln!(
            out,
            "Machine: {} cores ({}), {} GiB, Linux {}; load average {:.2} before, {:.2} after; {} run(s) per case \
             and server, interleaved; medians.",
            m["cores"],
            m["cpu"].as_str().unwrap_or(""),
            m["memory_gib"],
            m["kernel"].as_str().unwrap_or(""),
            self.load_before,
            self.load_after,
            self.runs
        );
        for (name, v) in &self.versions {
            let source = self
                .cpu_sources
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, s)| s);
            let _ = writeln!(out, "- {name}: {v} (server CPU from {source})");
        }
        let _ = writeln!(out, "\nCases:");
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !seen.contains(&r.case) {
                seen.push(r.case);
                let _ = writeln!(out, "- `{}`: {}", r.case, r.description);
            }
        }
        let tables: [(Unit, &str, &str); 3] = [
            (
                Unit::Bytes,
                "Transfers (MB/s: higher is better; CPU-s/GiB: lower is better)",
                "| case | server | MB/s | server CPU-s/GiB | client CPU-s/GiB | peak server RSS MiB | ringway/peer MB/s | ringway/peer CPU |\n|---|---|--:|--:|--:|--:|--:|--:|",
            ),
            (
                Unit::Ops,
                "Operations (per second: higher is better; CPU-ms per operation: lower is better)",
                "| case | server | ops/s | server CPU-ms/op | client CPU-ms/op | peak server RSS MiB | ringway/peer ops/s | ringway/peer CPU |\n|---|---|--:|--:|--:|--:|--:|--:|",
            ),
            (
                Unit::Sessions,
                "Idle sessions (memory per session: lower is better)",
                "| case | server | KiB/session (PSS) | server CPU-ms/login | server PSS MiB holding them | logins/s | ringway/peer memory | |\n|---|---|--:|--:|--:|--:|--:|--|",
            ),
        ];
        for (unit, title, header) in tables {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.unit == unit).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n**{title}**\n\n{header}");
            for r in rows {
                let Some(s) = r.median else {
                    let why = if r.not_supported {
                        "not supported"
                    } else {
                        "no result"
                    };
                    let _ = writeln!(out, "| {} | {} | {why} | | | | | |", r.case, r.server);
                    continue;
                };
                let base = self.ringway(r.case);
                let (rs, rc) = match (r.server, base) {
                    ("ringway", _) | (_, None) => ("".to_owned(), "".to_owned()),
                    (_, Some(b)) if unit == Unit::Sessions => {
                        (ratio(b.kib_per_session, s.kib_per_session), String::new())
                    }
                    (_, Some(b)) => (ratio(b.rate, s.rate), ratio(b.server_cpu, s.server_cpu)),
                };
                let _ = match unit {
                    Unit::Sessions => writeln!(
                        out,
                        "| {} | {} | {:.0} | {:.1} | {:.0} | {:.0} | {rs} | |",
                        r.case, r.server, s.kib_per_session, s.server_cpu, s.pss_mib, s.rate
                    ),
                    Unit::Bytes => writeln!(
                        out,
                        "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {rs} | {rc} |",
                        r.case, r.server, s.rate, s.server_cpu, s.client_cpu, s.peak_rss_mib
                    ),
                    Unit::Ops => writeln!(
                        out,
                        "| {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {rs} | {rc} |",
                        r.case, r.server, s.rate, s.server_cpu, s.client_cpu, s.peak_rss_mib
                    ),
                };
            }
        }
        out
    }

    /// An SVG chart of the transfer cases: MB/s on top, server CPU-seconds per GiB below, a bar per server.
    pub(crate) fn chart(&self, path: &Path) -> Result<()> {
        let cases: Vec<&'static str> = {
            let mut v: Vec<&'static str> = Vec::new();
            for r in self.rows.iter().filter(|r| r.unit == Unit::Bytes) {
                if !v.contains(&r.case) {
                    v.push(r.case);
                }
            }
            v
        };
        let servers: Vec<&'static str> = {
            let mut v: Vec<&'static str> = Vec::new();
            for r in &self.rows {
                if !v.contains(&r.server) {
                    v.push(r.server);
                }
            }
            v
        };
        if cases.is_empty() {
            return Ok(());
        }
        let width = (260 + 170 * u32::try_from(cases.len())?).max(720);
        let root = SVGBackend::new(path, (width, 900)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((2, 1));
        let colors = [
            RGBColor(0xd9, 0x5f, 0x02),
            RGBColor(0x1b, 0x9e, 0x77),
            RGBColor(0x75, 0x70, 0xb3),
            RGBColor(0xe7, 0x29, 0x8a),
        ];
        let metrics: [(&str, Metric); 2] = [
            ("MB/s (higher is better)", |s| s.rate),
            ("server CPU-seconds per GiB (lower is better)", |s| {
                s.server_cpu
            }),
        ];
        for (panel, (label, metric)) in panels.iter().zip(metrics) {
            let value = |case: &str, server: &str| {
                self.rows
                    .iter()
                    .find(|r| r.case == case && r.server == server)
                    .and_then(|r| r.median)
                    .map(|s| metric(&s))
            };
            let top = cases
                .iter()
                .flat_map(|c| servers.iter().filter_map(|s| value(c, s)))
                .fold(0.0_f64, f64::max)
                * 1.15;
            let n = cases.len();
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!("{}: {label}", self.protocol.to_uppercase()),
                    ("sans-serif", 20),
                )
                .margin(15)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(-0.5_f64..(n as f64 - 0.5), 0.0..top.max(1e-9))?;
            let names = cases.clone();
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .x_labels(n)
                .x_label_formatter(&move |x| {
                    let i = x.round();
                    if (x - i).abs() < 1e-6 && i >= 0.0 {
                        names
                            .get(i as usize)
                            .map_or(String::new(), |s| (*s).to_owned())
                    } else {
                        String::new()
                    }
                })
                .y_desc(label)
                .draw()?;
            let w = 0.8 / servers.len() as f64;
            for (j, server) in servers.iter().enumerate() {
                let color = colors[j % colors.len()];
                let bars: Vec<Rectangle<(f64, f64)>> = cases
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        value(c, server).map(|v| {
                            let x0 = i as f64 - 0.4 + j as f64 * w;
                            Rectangle::new([(x0, 0.0), (x0 + w * 0.9, v)], color.filled())
                        })
                    })
                    .collect();
                chart
                    .draw_series(bars)?
                    .label(*server)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                    });
                let labels: Vec<Text<'_, (f64, f64), String>> = cases
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        value(c, server).map(|v| {
                            let x0 = i as f64 - 0.4 + j as f64 * w;
                            Text::new(
                                if v < 10.0 {
                                    format!("{v:.2}")
                                } else {
                                    format!("{v:.0}")
                                },
                                (x0, v + top * 0.01),
                                ("sans-serif", 11).into_font(),
                            )
                        })
                    })
                    .collect();
                chart.draw_series(labels)?;
            }
            chart
                .configure_series_labels()
                .border_style(BLACK)
                .background_style(WHITE.mix(0.8))
                .draw()?;
        }
        root.present()?;
        Ok(())
    }
}
