// Small DOM helpers shared by the dashboard's views. No framework: the page is a handful of tables.

/**
 * Creates an element. `props` sets properties (`className`, `textContent`, …) except `dataset` (an object of
 * data-* values) and `attrs` (an object of attributes); children are nodes or strings.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, attrs, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  if (attrs) for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

// One formatter of each kind for the page: building one (what toLocaleString does on every call) costs far
// more than formatting, and a busy quote table formats thousands of times and counts a second.
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const COUNT_FORMAT = new Intl.NumberFormat();

/** Local wall-clock time with seconds, 24-hour, e.g. "14:03:07". */
function formatTime(epochMs) {
  return TIME_FORMAT.format(epochMs);
}

/** A `<time>` element showing the local time, with the ISO instant as its machine-readable value. */
export function timeElement(epochMs) {
  const iso = new Date(epochMs).toISOString();
  return el("time", { dateTime: iso, title: iso, textContent: formatTime(epochMs) });
}

/** A field value as a quote page shows it: numbers as sent, blank (null) as an empty cell. */
export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Formats a count with thousands separators. */
export function formatCount(value) {
  return COUNT_FORMAT.format(Number(value));
}
