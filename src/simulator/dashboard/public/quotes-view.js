// The "Last values" table: one row per contributed RIC, one column per field, like a quote page.
// Changed cells get a brief highlight (a fade; under prefers-reduced-motion a static mark, see the CSS).
import { el, formatCount, formatValue, timeElement } from "./dom.js";

/** Quote fields shown first, in this order, when present; every other field follows alphabetically. */
const LEADING_FIELDS = [
  "DSPLY_NAME",
  "BID",
  "ASK",
  "BIDSIZE",
  "ASKSIZE",
  "TRDPRC_1",
  "NETCHNG_1",
  "PCTCHNG",
  "HIGH_1",
  "LOW_1",
  "OPEN_PRC",
  "HST_CLOSE",
  "ACVOL_1",
  "PRIMACT_1",
  "SEC_ACT_1",
  "VALUE_DT1",
  "VALUE_TS1",
];

function orderFields(names) {
  const leading = LEADING_FIELDS.filter((name) => names.has(name));
  const rest = [...names].filter((name) => !LEADING_FIELDS.includes(name)).sort();
  return [...leading, ...rest];
}

/** Rows the page keeps: the simulator may hold far more RICs; the least recently updated rows give way. */
const MAX_ROWS = 1000;

export class QuotesView {
  #table;
  #empty;
  #count;
  /** RICs the simulator holds (from the snapshot and every tick). */
  #total = 0;
  /** RIC → { row, fields (last values shown) }. */
  #rics = new Map();
  #fieldNames = new Set();
  /** Fields whose values are text (names, dates): left-aligned, unlike numbers. */
  #textFields = new Set();
  #columns = [];

  constructor(table, empty, count) {
    this.#table = table;
    this.#empty = empty;
    this.#count = count;
  }

  /** Updates the number of RICs the simulator holds. */
  setTotal(total) {
    if (typeof total !== "number") return;
    this.#total = total;
    this.#refreshCount();
  }

  /**
   * Replaces every row with the snapshot's RICs (no highlight: nothing changed, the page just opened). The
   * snapshot carries the most recently updated RICs only; `total` says how many the simulator holds.
   */
  reset(views, total = views.length) {
    this.#total = total;
    this.#rics.clear();
    this.#fieldNames.clear();
    this.#textFields.clear();
    for (const view of views) this.#learnFields(view);
    this.#columns = orderFields(this.#fieldNames);
    this.#renderHeader();
    // Sorted once and appended in order: a snapshot may hold thousands of RICs.
    const sorted = [...views].sort((a, b) => (a.ric < b.ric ? -1 : a.ric > b.ric ? 1 : 0));
    const rows = document.createDocumentFragment();
    for (const view of sorted) {
      const entry = { row: this.#renderRow(view.ric), view: { fields: {} } };
      this.#rics.set(view.ric, entry);
      this.#fill(entry, view, false);
      rows.appendChild(entry.row);
    }
    this.#table.tBodies[0].replaceChildren(rows);
    this.#empty.hidden = this.#rics.size > 0;
    this.#refreshCount();
  }

  /** Applies the last values of RICs that changed. */
  update(views) {
    const before = this.#fieldNames.size;
    for (const view of views) this.#learnFields(view);
    if (this.#fieldNames.size !== before) {
      // A new field: rebuild the columns, then every row in the new layout (rare: fields are few and stable).
      this.#columns = orderFields(this.#fieldNames);
      this.#renderHeader();
      for (const [ric, entry] of this.#rics) {
        const row = this.#renderRow(ric);
        entry.row.replaceWith(row);
        entry.row = row;
        this.#fill(entry, entry.view, false);
      }
    }
    for (const view of views) this.#upsert(view, true);
    this.#evict();
    this.#empty.hidden = this.#rics.size > 0;
    this.#refreshCount();
  }

  /** Drops the least recently updated rows beyond {@link MAX_ROWS}. */
  #evict() {
    if (this.#rics.size <= MAX_ROWS) return;
    const byAge = [...this.#rics.entries()].sort(
      (a, b) => (a[1].view.lastUpdateMs ?? 0) - (b[1].view.lastUpdateMs ?? 0),
    );
    for (const [ric, entry] of byAge.slice(0, this.#rics.size - MAX_ROWS)) {
      entry.row.remove();
      this.#rics.delete(ric);
    }
  }

  #refreshCount() {
    if (!this.#count) return;
    const shown = this.#rics.size;
    const total = Math.max(this.#total, shown);
    this.#count.textContent = total > shown ? `(the ${shown} most recently updated of ${total})` : "";
  }

  #learnFields(view) {
    for (const [name, value] of Object.entries(view.fields)) {
      this.#fieldNames.add(name);
      if (typeof value === "string") this.#textFields.add(name);
    }
  }

  #alignment(name) {
    return this.#textFields.has(name) ? "text" : "num";
  }

  #renderHeader() {
    const columns = [
      el("th", { scope: "col", textContent: "RIC" }),
      ...this.#columns.map((name) => el("th", { scope: "col", className: this.#alignment(name), textContent: name })),
      el("th", { scope: "col", className: "num", textContent: "Updates" }),
      el("th", { scope: "col", textContent: "Last update" }),
      el("th", { scope: "col", textContent: "By" }),
    ];
    this.#table.tHead.rows[0].replaceChildren(...columns);
  }

  #renderRow(ric) {
    return el(
      "tr",
      { dataset: { ric } },
      el("th", { scope: "row", textContent: ric }),
      ...this.#columns.map((name) => el("td", { className: this.#alignment(name), dataset: { field: name } })),
      el("td", { className: "num", dataset: { key: "updates" } }),
      el("td", { dataset: { key: "last-update" } }),
      el("td", { dataset: { key: "by" } }),
    );
  }

  #upsert(view, highlight) {
    let entry = this.#rics.get(view.ric);
    if (!entry) {
      entry = { row: this.#renderRow(view.ric), view: { fields: {} } };
      this.#rics.set(view.ric, entry);
      // Keep rows sorted by RIC: insert before the smallest RIC greater than this one (one pass).
      let next;
      for (const ric of this.#rics.keys()) if (ric > view.ric && (next === undefined || ric < next)) next = ric;
      this.#table.tBodies[0].insertBefore(entry.row, next === undefined ? null : this.#rics.get(next).row);
    }
    this.#fill(entry, view, highlight);
  }

  #fill(entry, view, highlight) {
    const previous = entry.view.fields;
    for (const cell of entry.row.querySelectorAll("td[data-field]")) {
      const name = cell.dataset.field;
      const text = formatValue(view.fields[name]);
      const changed = cell.textContent !== text || (highlight && !Object.is(previous[name], view.fields[name]));
      cell.textContent = text;
      if (highlight && changed && name in view.fields) {
        // Alternate between two identical animations: changing the name restarts the highlight.
        const next = cell.classList.contains("flash-a") ? "flash-b" : "flash-a";
        cell.classList.remove("flash-a", "flash-b");
        cell.classList.add(next);
      } else if (highlight) {
        cell.classList.remove("flash-a", "flash-b");
      }
    }
    entry.row.querySelector('[data-key="updates"]').textContent = formatCount(view.updates ?? 0);
    if (view.lastUpdateMs)
      entry.row.querySelector('[data-key="last-update"]').replaceChildren(timeElement(view.lastUpdateMs));
    entry.row.querySelector('[data-key="by"]').textContent = view.lastUser ?? "";
    entry.view = view;
  }
}
