// Ack/Nak/Error counts by code, and the other lifetime counters of the simulator.
import { el, formatCount } from "./dom.js";

export class OutcomesView {
  #list;

  constructor(list) {
    this.#list = list;
  }

  /** Shows the counters of a snapshot or tick. */
  render(counters) {
    const rows = [
      ["Posts received", counters.posts],
      ["Acks", counters.acks],
      ["Naks", Object.values(counters.naks).reduce((sum, count) => sum + count, 0)],
      ...Object.entries(counters.naks)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([code, count]) => [`Nak ${code}`, count, code]),
      ["Errors", counters.errors],
      ["Logins", counters.logins],
      ["Refused logins", counters.loginRejections],
      ["Connections opened", counters.connections],
    ];
    const nodes = rows.flatMap(([label, value, code]) => {
      const key = code === undefined ? label.toLowerCase().replace(/\s+/g, "-") : `nak-${code}`;
      return [
        el("dt", { textContent: label, className: code === undefined ? "" : "sub" }),
        el("dd", { textContent: formatCount(value), dataset: { counter: key } }),
      ];
    });
    this.#list.replaceChildren(...nodes);
  }
}
