/**
 * The live table of `rcc watch`: one row per RIC, one column per field (the view's fields in order, else
 * every field as it first appears), then the stream state. Cells whose value the row's latest message
 * changed are marked: inverse video with colour, a trailing `*` without (NO_COLOR). Columns never narrow: each keeps
 * the widest cell it has shown (at most {@link MAX_CELL_LENGTH} and its mark), so a value that gets shorter does not
 * shift the columns right of it from one redraw to the next. No I/O: it renders lines, the caller writes them. Everything in a cell came from the server (values, field names, RICs, state texts): it is escaped
 * and cut when rendered (terminal-text.ts), so a value cannot move the cursor or forge a row. Under the rows, a
 * status line says what the connection last did (lost, reconnected, token refreshed), when it did anything.
 */
import type { FieldValue, Fields, ItemEvent } from "../index.js";
import { safeText } from "./terminal-text.js";

interface Row {
  ric: string;
  fields: Fields;
  /** Fields changed by the row's latest Refresh or Update. */
  changed: Set<string>;
  state: string;
}

/** Longest cell shown, in characters: a longer value is cut with an ellipsis (the line is cut at the width too). */
export const MAX_CELL_LENGTH = 60;

/** Longest status line shown, in characters (before the terminal width cuts it). */
const MAX_STATUS_LENGTH = 300;

const INVERSE = "\x1b[7m";
const RESET = "\x1b[0m";

/** Rendering options. */
export interface RenderOptions {
  /** Mark changed cells with inverse video (else with `*`). */
  colour: boolean;
  /** Terminal width in characters; longer lines are cut. @default Infinity */
  width?: number;
}

/** How a field value is shown: blank for `null`. */
function formatValue(value: FieldValue | undefined): string {
  if (value === null || value === undefined) return "";
  return typeof value === "number" ? String(value) : value;
}

/** The table's model: rows by RIC and the columns seen so far. */
export class WatchTable {
  readonly #rows = new Map<string, Row>();
  readonly #columns: string[];
  readonly #fixedColumns: boolean;
  /** The widest each column has been (`ric`, or `field:` and its name): columns never narrow. */
  readonly #widths = new Map<string, number>();
  #status: string | undefined;

  /**
   * @param rics the rows, in order.
   * @param view the columns when the watch has a view; otherwise columns are added as fields appear.
   */
  constructor(rics: readonly string[], view?: readonly string[]) {
    for (const ric of rics) this.#rows.set(ric, { ric, fields: {}, changed: new Set(), state: "requested" });
    this.#columns = view === undefined ? [] : [...view];
    this.#fixedColumns = view !== undefined && view.length > 0;
  }

  /** Applies one message: a Refresh replaces the row's image, an Update merges, a State shows in the last column. */
  apply(event: ItemEvent): void {
    let row = this.#rows.get(event.ric);
    if (row === undefined) {
      row = { ric: event.ric, fields: {}, changed: new Set(), state: "" };
      this.#rows.set(event.ric, row);
    }
    if (event.state !== undefined) {
      const { stream, data, code, text } = event.state;
      row.state = [`${stream ?? "?"}/${data ?? "?"}`, code !== undefined && code !== "None" ? code : "", text]
        .filter((part) => part !== "")
        .join(" ");
    }
    if (event.fields === undefined) return;
    const next = event.type === "Refresh" ? { ...event.fields } : { ...row.fields, ...event.fields };
    const before = row.fields;
    row.changed = new Set(
      Object.keys(event.fields).filter((name) => formatValue(before[name]) !== formatValue(next[name])),
    );
    row.fields = next;
    if (this.#fixedColumns) return;
    for (const name of Object.keys(event.fields)) if (!this.#columns.includes(name)) this.#columns.push(name);
  }

  /** Sets the status line shown under the rows (escaped when rendered); undefined removes it. */
  setStatus(text: string | undefined): void {
    this.#status = text;
  }

  /**
   * The table as lines: a header, one line per RIC, then the status line if there is one. Remembers each column's
   * width, so the next rendering is at least as wide (columns do not jump as values change).
   */
  render(options: RenderOptions): string[] {
    const header = ["RIC", ...this.#columns.map((name) => safeText(name, MAX_CELL_LENGTH)), "STATE"];
    const rows = [...this.#rows.values()];
    const cells = rows.map((row) => [
      safeText(row.ric, MAX_CELL_LENGTH),
      // Without colour every cell keeps room for its `*`, so columns do not shift as marks come and go.
      ...this.#columns.map(
        (name) =>
          safeText(formatValue(row.fields[name]), MAX_CELL_LENGTH) +
          (options.colour ? "" : row.changed.has(name) ? "*" : " "),
      ),
      safeText(row.state),
    ]);
    // The STATE column is last and not padded: only the RIC and field columns need widths.
    const keys = ["ric", ...this.#columns.map((name) => `field:${name}`)];
    const widths = header.map((title, column) => {
      const now = Math.max(title.length, ...cells.map((line) => (line[column] ?? "").length));
      const key = keys[column];
      if (key === undefined) return now;
      const widest = Math.max(now, this.#widths.get(key) ?? 0);
      this.#widths.set(key, widest);
      return widest;
    });
    const width = options.width ?? Number.POSITIVE_INFINITY;
    const lines = [header.map((title, column) => title.padEnd(widths[column] ?? 0)).join("  ")];
    for (const [index, row] of rows.entries()) {
      const line = cells[index] ?? [];
      let visible = 0;
      const parts: string[] = [];
      for (const [column, text] of line.entries()) {
        const padded = column === line.length - 1 ? text : text.padEnd(widths[column] ?? 0);
        const room = width - visible - (column === 0 ? 0 : 2);
        if (room <= 0) break;
        const shown = padded.slice(0, room);
        visible += shown.length + (column === 0 ? 0 : 2);
        const name = this.#columns[column - 1];
        const marked = options.colour && name !== undefined && row.changed.has(name);
        const value = shown.slice(0, text.length);
        parts.push(marked ? `${INVERSE}${value}${RESET}${shown.slice(value.length)}` : shown);
      }
      lines.push(parts.join("  ").trimEnd());
    }
    if (this.#status !== undefined) lines.push(`-- ${safeText(this.#status, MAX_STATUS_LENGTH)}`.slice(0, width));
    return lines.map((line, index) => (index === 0 ? line.slice(0, width).trimEnd() : line));
  }
}
