// The "Connected contributors" table: one row per open connection, keyed by connection id.
import { el, formatCount, timeElement } from "./dom.js";

const STATE_LABELS = { connected: "connected", "logged-in": "logged in", closed: "closed" };

export class ContributorsView {
  #body;
  #empty;
  #count;
  /** Connection id → its row. */
  #rows = new Map();

  constructor(table, empty, count) {
    this.#body = table.tBodies[0];
    this.#empty = empty;
    this.#count = count;
  }

  /** Replaces every row with the snapshot's connections. */
  reset(connections) {
    this.#rows.clear();
    this.#body.replaceChildren();
    for (const info of connections) this.update(info);
    this.#refreshCount();
  }

  /** Adds, changes or (for a closed connection) removes the row of `info`. */
  update(info) {
    const existing = this.#rows.get(info.id);
    if (info.state === "closed") {
      existing?.remove();
      this.#rows.delete(info.id);
      this.#refreshCount();
      return;
    }
    const row = this.#render(info);
    if (existing) existing.replaceWith(row);
    else this.#insertSorted(row, info);
    this.#rows.set(info.id, row);
    this.#refreshCount();
  }

  /** Refreshes the per-connection counters of a tick; drops rows the server no longer lists. */
  updateCounts(counts) {
    const open = new Set();
    for (const entry of counts) {
      open.add(entry.id);
      const row = this.#rows.get(entry.id);
      if (!row) continue;
      for (const key of ["posts", "acks", "naks"]) {
        const cell = row.querySelector(`td[data-key="${key}"]`);
        const text = formatCount(entry[key]);
        if (cell && cell.textContent !== text) cell.textContent = text;
      }
    }
    for (const [id, row] of this.#rows) {
      if (!open.has(id)) {
        row.remove();
        this.#rows.delete(id);
      }
    }
    this.#refreshCount();
  }

  #render(info) {
    const cell = (key, text, className = "") => el("td", { className, textContent: text, dataset: { key } });
    return el(
      "tr",
      { dataset: { connection: info.id, state: info.state } },
      el("th", { scope: "row", textContent: info.id, title: `listener ${info.listener}, from ${info.remoteAddress}` }),
      cell("user", info.user ?? "—"),
      cell("position", info.position ?? "—"),
      cell("applicationId", info.applicationId ?? "—"),
      el("td", { dataset: { key: "since" } }, timeElement(info.connectedAtMs)),
      el(
        "td",
        { dataset: { key: "state" } },
        el("span", { className: "state", dataset: { state: info.state }, textContent: STATE_LABELS[info.state] }),
      ),
      cell("posts", formatCount(info.posts), "num"),
      cell("acks", formatCount(info.acks), "num"),
      cell("naks", formatCount(info.naks), "num"),
    );
  }

  /** Keeps rows in connection order (c2 before c10). */
  #insertSorted(row, info) {
    const order = (id) => Number(id.replace(/\D/g, "")) || 0;
    const next = [...this.#rows.entries()].find(([id]) => order(id) > order(info.id));
    this.#body.insertBefore(row, next ? next[1] : null);
  }

  #refreshCount() {
    const size = this.#rows.size;
    this.#empty.hidden = size > 0;
    this.#count.textContent = `(${size})`;
  }
}
