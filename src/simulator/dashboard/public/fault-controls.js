// Fault-injection controls: buttons and small forms that call the admin API, and the list of active faults.
import { el } from "./dom.js";

const LABELS = {
  "system-busy": "System busy",
  disconnect: "Drop connection",
  "stop-pings": "Stop pings",
  "delay-acks": "Delay acks",
  nak: "Nak",
  "reject-logins": "Refuse logins",
};

/** A fault in words, e.g. "Nak AccessDenied on TRCCTEST01" or "Delay acks by 500 ms". */
export function describeFault(fault) {
  const parts = [LABELS[fault.type] ?? fault.type];
  if (fault.type === "reject-logins") parts.push(`with ${fault.code ?? "NotEntitled"}`);
  if (fault.type === "nak") parts.push(fault.code ?? "NoResources", ...(fault.ric ? ["on", fault.ric] : []));
  if (fault.type === "delay-acks" || fault.type === "token-delay") parts.push(`by ${fault.ms ?? 0} ms`);
  if (fault.connection) parts.push(`(connection ${fault.connection})`);
  if (fault.listener !== undefined) parts.push(`(listener ${fault.listener})`);
  if (fault.remaining !== undefined) parts.push(`— ${fault.remaining} left`);
  return parts.join(" ");
}

export class FaultControls {
  #admin;
  #result;
  #list;
  #empty;
  #log;

  /** @param root the fault section; @param admin an AdminClient; @param log an ActivityLog. */
  constructor(root, admin, log) {
    this.#admin = admin;
    this.#log = log;
    this.#result = root.querySelector("#fault-result");
    this.#list = root.querySelector("#active-faults");
    this.#empty = root.querySelector("#active-faults-empty");
    for (const button of root.querySelectorAll("button[data-fault]")) {
      button.addEventListener("click", () => this.#add({ type: button.dataset.fault }));
    }
    root.querySelector("#nak-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      this.#add({ type: "nak", ric: form.elements.ric.value.trim(), code: form.elements.code.value.trim() });
    });
    root.querySelector("#delay-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.#add({ type: "delay-acks", ms: Number(event.currentTarget.elements.ms.value) });
    });
    root.querySelector("#clear-faults").addEventListener("click", () => this.#clear());
  }

  /** Shows the active faults, each with a button clearing its type. */
  render(faults) {
    const items = faults.map((fault) =>
      el(
        "li",
        { dataset: { faultType: fault.type } },
        describeFault(fault),
        " ",
        el("button", {
          type: "button",
          className: "link",
          textContent: "Clear",
          attrs: { "aria-label": `Clear every ${LABELS[fault.type] ?? fault.type} fault` },
          onclick: () => this.#clear(fault.type),
        }),
      ),
    );
    this.#list.replaceChildren(...items);
    this.#empty.hidden = faults.length > 0;
  }

  // The list is brought up to date before the result is announced, so what the result says is what the list shows.
  async #add(spec) {
    const answer = await this.#admin.addFault(spec);
    await this.#refresh();
    if (answer.ok) {
      this.#say(`${describeFault(answer.body.fault)}: injected.`); // the stream's "faults" event logs it
    } else this.#fail(answer);
  }

  async #clear(type) {
    const answer = await this.#admin.clearFaults(type);
    await this.#refresh();
    if (answer.ok) {
      const what = type === undefined ? "" : ` ${LABELS[type] ?? type}`;
      this.#say(`Cleared ${answer.body.cleared}${what} fault${answer.body.cleared === 1 ? "" : "s"}.`);
      this.#log.add(`Faults cleared${what ? `:${what}` : ""} (${answer.body.cleared})`);
    } else this.#fail(answer);
  }

  async #refresh() {
    const answer = await this.#admin.listFaults();
    if (answer.ok) this.render(answer.body.faults);
  }

  #say(text) {
    this.#result.dataset.kind = "ok";
    this.#result.textContent = text;
  }

  #fail(answer) {
    this.#result.dataset.kind = "error";
    this.#result.textContent =
      answer.status === 401
        ? "Not authorised: open this page as /?token=<admin token>."
        : `Refused (${answer.status}): ${answer.body.message ?? "no reason given"}`;
  }
}
