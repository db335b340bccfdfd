// A short, newest-first log of what happened (connections, logins, refused logins, faults), bounded in length.
// Everything a client sent (user names, positions, the texts that quote them) goes in as text nodes, never as HTML.
import { el, timeElement } from "./dom.js";

const MAX_ENTRIES = 100;

export class ActivityLog {
  #list;

  constructor(list) {
    this.#list = list;
  }

  /** Adds one line at the top: `content` is a string or a node; `kind` becomes the line's data-kind. */
  add(content, atMs = Date.now(), kind = undefined) {
    this.#list.prepend(el("li", kind === undefined ? {} : { dataset: { kind } }, timeElement(atMs), content));
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

  /**
   * Describes a refused Login: the connection, the user name when known, the Login Status code and the
   * server's text, e.g. "c3 login refused: NotEntitled — Login denied: access token not recognised".
   */
  loginRefused(refusal) {
    const what = refusal.relogin ? "re-login" : "login";
    const who = refusal.user === undefined ? "" : ` for ${refusal.user}`;
    const line = el(
      "span",
      { attrs: { title: `reason: ${refusal.reason}` } },
      `${refusal.connectionId} ${what} refused${who}: `,
      el("strong", { className: "refusal-code", textContent: refusal.code }),
      ` — ${refusal.text}`,
    );
    this.add(line, refusal.atMs, "login-refused");
  }
}
