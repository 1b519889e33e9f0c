// A grouped horizontal bar chart as inline SVG, drawn here (no chart library), with an accessible name.

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
  const bar = 14;
  const gap = 4;
  const groupGap = 18;
  const labelWidth = 170;
  const width = 640;
  const plot = width - labelWidth - 50;
  const legendHeight = 28;
  const groupHeight = series.length * (bar + gap) + groupGap;
  const height = legendHeight + groups.length * groupHeight;
  const max = Math.max(1, ...groups.flatMap((group) => group.values));
  const id = `chart-${Math.random().toString(36).slice(2, 8)}`;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "chart",
    preserveAspectRatio: "xMinYMin meet",
  });
  root.append(svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, description));
  series.forEach((item, index) => {
    const x = labelWidth + index * 150;
    root.append(svg("rect", { x, y: 4, width: 12, height: 12, class: item.className }),
      svg("text", { x: x + 18, y: 14, class: "legend" }, item.name));
  });
  groups.forEach((group, groupIndex) => {
    const top = legendHeight + groupIndex * groupHeight;
    root.append(svg("text", { x: labelWidth - 8, y: top + (series.length * (bar + gap)) / 2 + 4, "text-anchor": "end", class: "axis" }, group.label));
    group.values.forEach((value, index) => {
      const y = top + index * (bar + gap);
      const length = Math.max(value ? 2 : 0, (value / max) * plot);
      root.append(svg("rect", { x: labelWidth, y, width: length, height: bar, class: series[index].className }),
        svg("text", { x: labelWidth + length + 6, y: y + bar - 3, class: "value" }, String(value)));
    });
  });
  return root;
}
