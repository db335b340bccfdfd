// The "Last values" table: one row per contributed RIC, one column per field, like a quote page.
// Changed cells get a brief highlight (a fade; under prefers-reduced-motion a static mark, see the CSS).
// A filter (part of the RIC, any case) hides the other rows, and the rows are in RIC order or newest update
// first; an update touches only the rows of the RICs it carries (at most a few moves), never the whole table.
import { el, formatCount, formatValue, timeElement } from "./dom.js";
import { SORT_ORDERS, insertionIndex, normaliseFilter, ricMatches } from "./quotes-order.js";

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

/** Values longer than this (characters) may be cut short by the column width: their cell gets a tooltip. */
const TOOLTIP_FROM_LENGTH = 20;

export class QuotesView {
  #table;
  #body;
  #empty;
  #count;
  #noMatch;
  #filterStatus;
  /** RICs the simulator holds (from the snapshot and every tick). */
  #total = 0;
  /** RIC → { row, view (last values shown) }. */
  #rics = new Map();
  /** The same entries, in the order their rows are shown (kept sorted by the current order). */
  #ordered = [];
  /** A key of SORT_ORDERS. */
  #sort = "ric";
  /** The filter as normaliseFilter made it; "" shows every row. */
  #filter = "";
  #fieldNames = new Set();
  /** Fields whose values are text (names, dates): left-aligned, unlike numbers. */
  #textFields = new Set();
  #columns = [];

  /**
   * @param controls optional `{ filter, sort, status, noMatch }`: the filter input, the sort select, the line
   *   saying how many rows match and the message shown when none does.
   */
  constructor(table, empty, count, controls = {}) {
    this.#table = table;
    this.#body = table.tBodies[0];
    this.#empty = empty;
    this.#count = count;
    this.#noMatch = controls.noMatch;
    this.#filterStatus = controls.status;
    const { filter, sort } = controls;
    if (filter) {
      filter.addEventListener("input", () => this.setFilter(filter.value));
      this.setFilter(filter.value); // a reload may have restored what was typed
    }
    if (sort) {
      sort.addEventListener("change", () => this.setSort(sort.value));
      this.setSort(sort.value);
    }
  }

  /** Updates the number of RICs the simulator holds. */
  setTotal(total) {
    if (typeof total !== "number") return;
    this.#total = total;
    this.#refreshCount();
  }

  /** Shows only the rows whose RIC contains `text` (any case); blank shows every row. */
  setFilter(text) {
    const filter = normaliseFilter(text);
    if (filter === this.#filter) return;
    this.#filter = filter;
    for (const entry of this.#ordered) entry.row.hidden = !ricMatches(entry.view.ric, filter);
    this.#refreshCount();
  }

  /** Orders the rows by `order`, a key of SORT_ORDERS ("ric" or "last-update"); others are ignored. */
  setSort(order) {
    if (!Object.hasOwn(SORT_ORDERS, order) || order === this.#sort) return;
    this.#sort = order;
    this.#table.dataset.sort = order;
    this.#ordered.sort(this.#compareEntries);
    const rows = document.createDocumentFragment();
    for (const entry of this.#ordered) rows.appendChild(entry.row);
    this.#body.replaceChildren(rows);
    this.#renderHeader();
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
    this.#ordered = views.map((view) => {
      const entry = this.#newEntry(view.ric);
      this.#fill(entry, view, false);
      return entry;
    });
    // Sorted once and appended in order: a snapshot may hold thousands of RICs.
    this.#ordered.sort(this.#compareEntries);
    const rows = document.createDocumentFragment();
    for (const entry of this.#ordered) rows.appendChild(entry.row);
    this.#body.replaceChildren(rows);
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
      for (const entry of this.#ordered) {
        const row = this.#renderRow(entry.view.ric);
        row.hidden = entry.row.hidden;
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

  /** Compares two entries by the current order. */
  #compareEntries = (a, b) => SORT_ORDERS[this.#sort](a.view, b.view);

  #newEntry(ric) {
    const entry = { row: this.#renderRow(ric), view: { ric, fields: {} } };
    entry.row.hidden = !ricMatches(ric, this.#filter);
    this.#rics.set(ric, entry);
    return entry;
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
    this.#ordered = this.#ordered.filter((entry) => this.#rics.get(entry.view.ric) === entry);
  }

  #refreshCount() {
    const shown = this.#rics.size;
    if (this.#count) {
      const total = Math.max(this.#total, shown);
      this.#count.textContent = total > shown ? `(the ${shown} most recently updated of ${total})` : "";
    }
    let matching = shown;
    if (this.#filter !== "") {
      matching = 0;
      for (const entry of this.#ordered) if (!entry.row.hidden) matching += 1;
    }
    if (this.#filterStatus) {
      const text = this.#filter === "" ? "" : `${formatCount(matching)} of ${formatCount(shown)} shown match`;
      if (this.#filterStatus.textContent !== text) this.#filterStatus.textContent = text;
    }
    if (this.#noMatch) {
      this.#noMatch.hidden = !(shown > 0 && matching === 0);
      if (!this.#noMatch.hidden) this.#noMatch.textContent = `No RIC shown contains "${this.#filter}".`;
    }
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
    // aria-sort tells screen readers which column the rows are ordered by.
    const sorted = (order, direction) => (this.#sort === order ? { "aria-sort": direction } : {});
    const columns = [
      el("th", { scope: "col", textContent: "RIC", attrs: sorted("ric", "ascending") }),
      ...this.#columns.map((name) => el("th", { scope: "col", className: this.#alignment(name), textContent: name })),
      el("th", { scope: "col", className: "num", textContent: "Updates" }),
      el("th", { scope: "col", textContent: "Last update", attrs: sorted("last-update", "descending") }),
      el("th", { scope: "col", textContent: "By" }),
    ];
    this.#table.tHead.rows[0].replaceChildren(...columns);
  }

  #renderRow(ric) {
    return el(
      "tr",
      { dataset: { ric } },
      el("th", { scope: "row", textContent: ric, title: ric }),
      ...this.#columns.map((name) => el("td", { className: this.#alignment(name), dataset: { field: name } })),
      el("td", { className: "num", dataset: { key: "updates" } }),
      el("td", { dataset: { key: "last-update" } }),
      el("td", { dataset: { key: "by" } }),
    );
  }

  #upsert(view, highlight) {
    const existing = this.#rics.get(view.ric);
    if (!existing) {
      const entry = this.#newEntry(view.ric);
      this.#fill(entry, view, highlight);
      this.#place(entry);
      return;
    }
    // Only a change of the sort key moves a row: by RIC never, newest first on every update.
    const moves = this.#compareEntries(existing, { view }) !== 0;
    if (moves) this.#ordered.splice(this.#ordered.indexOf(existing), 1);
    this.#fill(existing, view, highlight);
    if (moves) this.#place(existing);
  }

  /** Inserts `entry` (not in the order yet) where the current order puts it, in the array and on the page. */
  #place(entry) {
    const index = insertionIndex(this.#ordered, entry, this.#compareEntries);
    this.#ordered.splice(index, 0, entry);
    const next = this.#ordered[index + 1]?.row ?? null;
    // Already there (the newest row updated again): leave the DOM alone.
    if (entry.row.parentNode === this.#body && entry.row.nextElementSibling === next) return;
    this.#body.insertBefore(entry.row, next);
  }

  #fill(entry, view, highlight) {
    const previous = entry.view.fields;
    for (const cell of entry.row.querySelectorAll("td[data-field]")) {
      const name = cell.dataset.field;
      const text = formatValue(view.fields[name]);
      const changed = cell.textContent !== text || (highlight && !Object.is(previous[name], view.fields[name]));
      if (cell.textContent !== text) {
        cell.textContent = text;
        if (text.length > TOOLTIP_FROM_LENGTH) cell.title = text;
        else if (cell.hasAttribute("title")) cell.removeAttribute("title");
      }
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
    const by = entry.row.querySelector('[data-key="by"]');
    by.textContent = view.lastUser ?? "";
    by.title = view.lastUser ?? "";
    entry.view = view;
  }
}
