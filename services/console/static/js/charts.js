// Charts as inline SVG from a few small functions: no library, nothing to build.
// Each returns an <svg class="chart"> sized by its viewBox, so it scales with the page.

import { compactMoney, number, percent } from "./ui.js";
import { t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 260;
const PAD = { left: 64, right: 16, top: 28, bottom: 30 };
const COLOURS = { good: "#2e7d32", bad: "#c62828", accent: "#0b6e99", muted: "#8a99a8", shade: "#f3b6b6" };

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function scale([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

// About five round ticks covering [low, high].
function ticks(low, high, count = 5) {
  const span = high - low || Math.abs(high) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= raw);
  const values = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
    values.push(Math.abs(value) < step * 1e-9 ? 0 : value);
  }
  return values;
}

function frame(title, testid, description) {
  return s("svg", {
    class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "data-testid": testid,
    "aria-label": `${title}. ${description}`,
  }, s("title", {}, title), s("text", { x: PAD.left, y: 16, class: "title" }, title));
}

function yAxis(svg, y, values, format) {
  for (const value of values) {
    svg.append(
      s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), stroke: value === 0 ? "#5b6b7c" : "#e3e8ee" }),
      s("text", { x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end" }, format(value)));
  }
}

function xLabels(svg, years, x, every) {
  years.forEach((year, position) => {
    if (position % every === 0) {
      svg.append(s("text", { x: x(position), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle" }, String(year)));
    }
  });
}

// Yearly net cash flows as bars (green in, red out) and the cumulative position as a line.
export function cashFlowChart(rows, currency = "EUR") {
  const title = t("chartCashFlows");
  const svg = frame(title, "chart-cash-flows", t("chartCashFlowsHelp"));
  const values = rows.flatMap((row) => [row.net_cash_flow, row.cumulative]);
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  const y = scale([low, high], [HEIGHT - PAD.bottom, PAD.top]);
  const band = (WIDTH - PAD.left - PAD.right) / rows.length;
  const x = (position) => PAD.left + band * (position + 0.5);
  yAxis(svg, y, ticks(low, high), (value) => compactMoney(value, currency));
  rows.forEach((row, position) => {
    const top = y(Math.max(0, row.net_cash_flow));
    const height = Math.abs(y(row.net_cash_flow) - y(0));
    svg.append(s("rect", {
      x: x(position) - band * 0.35, y: top, width: band * 0.7, height: Math.max(height, 0.5),
      fill: row.net_cash_flow >= 0 ? COLOURS.good : COLOURS.bad, class: "bar",
    }, s("title", {}, `${t("year")} ${row.year}: ${compactMoney(row.net_cash_flow, currency)}`)));
  });
  svg.append(s("polyline", {
    points: rows.map((row, position) => `${x(position)},${y(row.cumulative)}`).join(" "),
    fill: "none", stroke: COLOURS.accent, "stroke-width": 2,
  }));
  xLabels(svg, rows.map((row) => row.year), x, Math.ceil(rows.length / 16));
  svg.append(legend([[COLOURS.good, t("netCashFlow")], [COLOURS.accent, t("cumulative")]]));
  return svg;
}

// DSCR by year as a line, the covenant as a dashed line; years under the covenant in red.
export function dscrChart(rows, covenant) {
  const title = t("chartDscr");
  const svg = frame(title, "chart-dscr", t("chartDscrHelp", { covenant: number(covenant) }));
  const values = rows.map((row) => row.dscr).filter((value) => value !== null && value !== undefined);
  const high = Math.max(covenant * 1.3, ...values) * 1.1;
  const y = scale([0, high], [HEIGHT - PAD.bottom, PAD.top]);
  const band = (WIDTH - PAD.left - PAD.right) / Math.max(rows.length, 1);
  const x = (position) => PAD.left + band * (position + 0.5);
  yAxis(svg, y, ticks(0, high), (value) => `${number(value, 1)}×`);
  svg.append(s("line", {
    x1: PAD.left, x2: WIDTH - PAD.right, y1: y(covenant), y2: y(covenant),
    stroke: COLOURS.bad, "stroke-dasharray": "6 4", "stroke-width": 1.5, "data-testid": "covenant-line",
  }));
  const points = rows.filter((row) => row.dscr !== null && row.dscr !== undefined);
  svg.append(s("polyline", {
    points: points.map((row) => `${x(rows.indexOf(row))},${y(row.dscr)}`).join(" "),
    fill: "none", stroke: COLOURS.accent, "stroke-width": 2,
  }));
  for (const row of points) {
    svg.append(s("circle", {
      cx: x(rows.indexOf(row)), cy: y(row.dscr), r: 3.5,
      fill: row.dscr < covenant ? COLOURS.bad : COLOURS.accent,
    }, s("title", {}, `${t("year")} ${row.year}: ${number(row.dscr)}×`)));
  }
  xLabels(svg, rows.map((row) => row.year), x, Math.ceil(rows.length / 16));
  svg.append(legend([[COLOURS.accent, "DSCR"], [COLOURS.bad, `${t("covenant")} ${number(covenant)}×`]]));
  return svg;
}

// The FNPV distribution of a Monte Carlo run. Evaluation reports percentiles (p5, p10, p50,
// p90, p95), not the draws, so the bars are a histogram with those percentiles as bin edges:
// each bar's area is the share of draws in it (5%, 40%, 40%, 5%). The normal curve of the same
// mean and standard deviation is drawn over it; everything left of zero is shaded, and
// P(FNPV < 0) is the share of draws the simulation found below zero.
export function monteCarloChart(result, currency = "EUR") {
  const title = t("chartMonteCarlo");
  const p = result.percentiles || result.fnpv.percentiles;
  const mean = result.mean;
  const sd = result.std || 1;
  const probability = result.p_npv_negative;
  const svg = frame(title, "chart-monte-carlo", t("chartMonteCarloHelp", { p: percent(probability) }));
  const edges = [p.p5, p.p10, p.p50, p.p90, p.p95];
  const masses = [0.05, 0.4, 0.4, 0.05];
  const low = Math.min(edges[0], mean - 3 * sd, 0);
  const high = Math.max(edges[4], mean + 3 * sd, 0);
  const x = scale([low, high], [PAD.left, WIDTH - PAD.right]);
  const densities = masses.map((mass, i) => mass / Math.max(edges[i + 1] - edges[i], 1e-9));
  const normal = (v) => Math.exp(-0.5 * ((v - mean) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));
  const peak = Math.max(...densities, normal(mean));
  const y = scale([0, peak * 1.1], [HEIGHT - PAD.bottom, PAD.top]);
  const clip = `neg-${Math.random().toString(36).slice(2)}`;
  svg.append(s("defs", {}, s("clipPath", { id: clip },
    s("rect", { x: PAD.left, y: 0, width: Math.max(0, x(0) - PAD.left), height: HEIGHT }))));
  const bars = s("g", {});
  const shaded = s("g", { "clip-path": `url(#${clip})`, "data-testid": "negative-area" });
  densities.forEach((density, i) => {
    const attrs = { x: x(edges[i]), y: y(density), width: Math.max(x(edges[i + 1]) - x(edges[i]), 0.5), height: y(0) - y(density) };
    bars.append(s("rect", { ...attrs, fill: "#b9d3e3", class: "bar" },
      s("title", {}, `${compactMoney(edges[i], currency)} – ${compactMoney(edges[i + 1], currency)}: ${percent(masses[i], 0)}`)));
    shaded.append(s("rect", { ...attrs, fill: COLOURS.shade }));
  });
  const steps = 80;
  const curve = [];
  for (let i = 0; i <= steps; i += 1) {
    const v = low + ((high - low) * i) / steps;
    curve.push([x(v), y(normal(v))]);
  }
  const area = `M${x(low)},${y(0)} ${curve.map(([cx, cy]) => `L${cx},${cy}`).join(" ")} L${x(high)},${y(0)} Z`;
  shaded.append(s("path", { d: area, fill: COLOURS.bad, opacity: 0.35 }));
  svg.append(bars, shaded, s("polyline", {
    points: curve.map(([cx, cy]) => `${cx},${cy}`).join(" "), fill: "none", stroke: COLOURS.accent, "stroke-width": 1.5,
  }));
  svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), stroke: "#5b6b7c" }));
  svg.append(s("line", { x1: x(0), x2: x(0), y1: PAD.top, y2: y(0), stroke: COLOURS.bad, "stroke-dasharray": "4 3" }));
  for (const value of ticks(low, high, 6)) {
    svg.append(s("text", { x: x(value), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle" }, compactMoney(value, currency)));
  }
  svg.append(s("text", {
    x: WIDTH - PAD.right, y: 16, "text-anchor": "end", class: "title", "data-testid": "p-negative",
  }, `P(FNPV < 0) = ${percent(probability)}`));
  return svg;
}

// Horizontal grouped bars: one group per row, one bar per series ([label, key, colour]).
export function groupedBars(rows, series, { title, testid, labelOf = (row) => row.label }) {
  const rowHeight = 16 * series.length + 12;
  const height = PAD.top + rows.length * rowHeight + 10;
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "data-testid": testid, "aria-label": title },
    s("title", {}, title));
  const left = 190;
  const high = Math.max(1, ...rows.flatMap((row) => series.map(([, key]) => row[key])));
  const x = scale([0, high], [left, WIDTH - 60]);
  rows.forEach((row, index) => {
    const top = PAD.top + index * rowHeight;
    svg.append(s("text", { x: left - 8, y: top + rowHeight / 2, "text-anchor": "end", class: "title" }, labelOf(row)));
    series.forEach(([label, key, colour], position) => {
      const y = top + position * 16;
      svg.append(
        s("rect", { x: left, y, width: Math.max(x(row[key]) - left, 1), height: 13, fill: colour },
          s("title", {}, `${label}: ${row[key]}`)),
        s("text", { x: x(row[key]) + 5, y: y + 11 }, String(row[key])));
    });
  });
  svg.append(legend(series.map(([label, , colour]) => [colour, label]), 4));
  return svg;
}

function legend(entries, top = 4) {
  const group = s("g", {});
  let x = WIDTH - PAD.right;
  for (const [colour, label] of [...entries].reverse()) {
    const width = 16 + label.length * 6.2;
    x -= width + 10;
    group.append(
      s("rect", { x, y: top + 2, width: 10, height: 10, fill: colour }),
      s("text", { x: x + 14, y: top + 11 }, label));
  }
  return group;
}
