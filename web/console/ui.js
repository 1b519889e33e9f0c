// Small DOM helpers: every page builds elements with these, so text is always text (never parsed as HTML).

/** h("a", {href: "#/x", class: "link"}, "text", child, ...): attributes, `on<event>` listeners, then children. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  if (tag === "input" && !attrs.type) element.type = "text"; // the shared styles key on the type
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "value" || name === "checked" || name === "selected") {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces a container's content. */
export function show(container, ...nodes) {
  container.replaceChildren();
  append(container, nodes);
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

export function alertBox(text) {
  return h("p", { class: "error", role: "alert" }, text);
}

let fieldIds = 0;

/** A labelled control: label text, the control element, and an optional hint shown under it. */
export function field(text, control, hint) {
  fieldIds += 1;
  const id = control.id || `f${fieldIds}`;
  control.id = id;
  const hintNode = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, text), control, hintNode);
}

/** A <select> from [value, text] pairs (or an object of value -> text), with the given value selected. */
export function select(name, options, selected) {
  const pairs = Array.isArray(options) ? options : Object.entries(options);
  return h("select", { name }, pairs.map(([value, text]) => h("option", { value, selected: value === selected }, text)));
}

/** A definition list from [term, description] pairs; empty descriptions show a dash. */
export function facts(pairs, className = "facts") {
  return h("dl", { class: className }, pairs.map(([term, description]) => h("div", {},
    h("dt", {}, term), h("dd", {}, description === null || description === undefined || description === "" ? "—" : description))));
}

/** A wide table inside a focusable, named region so it scrolls sideways on a phone without hiding content. */
export function tableRegion(name, headers, rows) {
  return h("div", { class: "table-wrap", role: "region", "aria-label": `${name} (table)`, tabindex: "0" },
    h("table", {},
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))))));
}

/** Form values as a plain object of trimmed strings (checkbox groups become arrays). */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) {
    const text = typeof value === "string" ? value.trim() : value;
    if (form.elements[name] instanceof RadioNodeList && form.elements[name][0]?.type === "checkbox") {
      (values[name] ||= []).push(text);
    } else {
      values[name] = text;
    }
  }
  return values;
}

/** Moves focus to a page's heading after navigation, so keyboard and screen reader users start there. */
export function focusHeading(container) {
  const heading = container.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}
