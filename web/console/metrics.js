// The 11 CCR 7102 figures of a chosen year: a table, a chart, and the CSV as a blob link (the API needs the token).

import { barChart } from "./chart.js";
import { blob, call, plainError } from "./client.js";
import { label, TYPES } from "./labels.js";
import { can, READERS } from "./session.js";
import { dateTime, thisYear } from "./time.js";
import { alertBox, field, h, loading, select, show, tableRegion } from "./ui.js";

const FIGURES = [
  ["received", "Received"],
  ["complied_in_whole_or_in_part", "Complied in whole or in part"],
  ["denied", "Denied"],
  ["pending", "Pending"],
  ["median_days_to_respond", "Median days to respond"],
  ["mean_days_to_respond", "Mean days to respond"],
];

let csvUrl = null;

export async function render(view, route) {
  document.title = "Metrics · Privacy console";
  if (!can(...READERS)) {
    show(view, h("h1", {}, "Metrics"), h("p", { class: "notice" }, "Only analysts and auditors can read the metrics."));
    return;
  }
  const year = Number(route.params.get("year")) || thisYear();
  const years = Array.from({ length: 6 }, (_, index) => String(thisYear() - index));
  const picker = select("year", years.map((y) => [y, y]), String(year));
  const form = h("form", { class: "card inline-form" },
    field("Year", picker), h("button", { type: "submit" }, "Show year"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.hash = `#/metrics?year=${picker.value}`;
  });
  const body = h("div", {}, loading(`Loading the ${year} figures…`));
  show(view, h("h1", {}, `Metrics ${year}`),
    h("p", { class: "lede" }, "Requests received in the year (by the receipt day in the business time zone), as 11 CCR 7102(a) asks a business to disclose."),
    form, body);
  let report;
  let csv;
  try {
    [report, csv] = await Promise.all([call(`/reports/metrics?year=${year}`), blob(`/reports/metrics?year=${year}&format=csv`)]);
  } catch (error) {
    show(body, alertBox(plainError(error)));
    return;
  }
  if (csvUrl) URL.revokeObjectURL(csvUrl);
  csvUrl = URL.createObjectURL(csv);
  const types = Object.keys(report.by_type);
  const show0 = (value) => (value === null || value === undefined ? "—" : String(value));
  const rows = [...types.map((type) => [label(TYPES, type), report.by_type[type]]), ["All requests", report.total]]
    .map(([name, figures]) => [h("strong", {}, name), ...FIGURES.map(([key]) => show0(figures[key]))]);
  const chart = barChart({
    title: `Requests in ${year} by type and outcome`,
    description: types.map((type) => {
      const f = report.by_type[type];
      return `${label(TYPES, type)}: ${f.received} received, ${f.complied_in_whole_or_in_part} complied, ${f.denied} denied, ${f.pending} pending`;
    }).join("; "),
    groups: types.map((type) => ({
      label: label(TYPES, type),
      values: ["received", "complied_in_whole_or_in_part", "denied", "pending"].map((key) => report.by_type[type][key]),
    })),
    series: [{ name: "Received", className: "s-received" }, { name: "Complied", className: "s-complied" },
      { name: "Denied", className: "s-denied" }, { name: "Pending", className: "s-pending" }],
  });
  show(body,
    h("div", { class: "buttons" },
      h("a", { href: csvUrl, download: `ccpa-metrics-${year}.csv`, class: "button" }, "Download CSV")),
    h("div", { class: "stats" },
      stat("Received", report.total.received), stat("Complied", report.total.complied_in_whole_or_in_part),
      stat("Denied", report.total.denied), stat("Pending", report.total.pending),
      stat("Median days to respond", show0(report.total.median_days_to_respond))),
    h("figure", { class: "card chart-card" }, chart, h("figcaption", {}, `Requests in ${year} by type and outcome.`)),
    tableRegion(`The 7102 figures for ${year}`, ["Request type", ...FIGURES.map(([, text]) => text)], rows),
    h("p", { class: "hint" }, `Computed ${dateTime(report.generated_at)} from the ledger's request records.`));
}

function stat(name, value) {
  return h("div", { class: "stat" }, h("span", { class: "stat-value" }, String(value)), h("span", { class: "stat-name" }, name));
}
