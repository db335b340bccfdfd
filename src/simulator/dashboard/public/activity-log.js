// A short, newest-first log of what happened (connections, logins, faults), bounded in length.
import { el, timeElement } from "./dom.js";

const MAX_ENTRIES = 100;

export class ActivityLog {
  #list;

  constructor(list) {
    this.#list = list;
  }

  /** Adds one line at the top. */
  add(text, atMs = Date.now()) {
    this.#list.prepend(el("li", {}, timeElement(atMs), text));
    while (this.#list.children.length > MAX_ENTRIES) this.#list.lastElementChild.remove();
  }

  /** Describes a connection event. */
  connection(info) {
    const where = `listener ${info.listener}`;
    if (info.state === "connected") this.add(`${info.id} connected to ${where} from ${info.remoteAddress}`);
    else if (info.state === "logged-in") {
      const verb = info.logins > 1 ? "logged in again" : "logged in";
      this.add(`${info.id} ${verb} as ${info.user ?? "?"} (position ${info.position ?? "—"})`);
    } else this.add(`${info.id} closed after ${info.posts} posts`);
  }
}
