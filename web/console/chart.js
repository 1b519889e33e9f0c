// A grouped horizontal bar chart as inline SVG, drawn here (no chart library), with an accessible name.
// On a narrow screen each group's label goes above its bars, so the text keeps a readable size.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * groups: [{label, values: [n, ...]}]; series: [{name, className}] (one per value).
 * The picture has role img and a name; the numbers are also in a table beside it for screen readers.
 */
export function barChart({ title, description, groups, series }) {
  const narrow = window.matchMedia("(max-width: 40rem)").matches;
  const bar = 14;
  const gap = 4;
  const labelWidth = narrow ? 0 : 200;
  const labelHeight = narrow ? 20 : 0;
  const width = narrow ? 340 : 700;
  const plot = width - labelWidth - 40;
  const legendColumns = narrow ? 2 : series.length;
  const legendHeight = Math.ceil(series.length / legendColumns) * 20 + 8;
  const groupHeight = labelHeight + series.length * (bar + gap) + 16;
  const height = legendHeight + groups.length * groupHeight;
  const max = Math.max(1, ...groups.flatMap((group) => group.values));
  const id = `chart-${Math.random().toString(36).slice(2, 8)}`;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "chart",
    preserveAspectRatio: "xMinYMin meet",
  });
  root.append(svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, description));
  series.forEach((item, index) => {
    const x = labelWidth + (index % legendColumns) * 120;
    const y = 4 + Math.floor(index / legendColumns) * 20;
    root.append(svg("rect", { x, y, width: 12, height: 12, class: item.className }),
      svg("text", { x: x + 18, y: y + 10, class: "legend" }, item.name));
  });
  groups.forEach((group, groupIndex) => {
    const top = legendHeight + groupIndex * groupHeight;
    const barsTop = top + labelHeight;
    root.append(narrow
      ? svg("text", { x: 0, y: top + 14, class: "axis" }, group.label)
      : svg("text", { x: labelWidth - 8, y: barsTop + (series.length * (bar + gap)) / 2 + 4, "text-anchor": "end", class: "axis" }, group.label));
    group.values.forEach((value, index) => {
      const y = barsTop + index * (bar + gap);
      const length = Math.max(value ? 2 : 0, (value / max) * plot);
      root.append(svg("rect", { x: labelWidth, y, width: length, height: bar, class: series[index].className }),
        svg("text", { x: labelWidth + length + 6, y: y + bar - 3, class: "value" }, String(value)));
    });
  });
  return root;
}
