// The gateway's status page: reads the snapshot stream (GET status/events, server-sent `status` events, see
// src/gateway/status.ts for its shape) and redraws the header and the two tables from each snapshot. Every
// value from the server is set as text (textContent, attributes), never as markup: ids and RICs are the
// producers' own strings.
/* global document, EventSource, setTimeout */

/** How long to wait before opening a new stream once the browser gave up on one (a 503), milliseconds. */
const REOPEN_MS = 5000;

const $ = (selector) => document.querySelector(selector);
const linkStatus = $("#link-status");
const accountsBody = $("#accounts").tBodies[0];
const outcomesBody = $("#outcomes").tBodies[0];
const leasesBody = $("#leases").tBodies[0];

const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const DATE_TIME_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const COUNT_FORMAT = new Intl.NumberFormat();

/** Session states by how the badge colours them (the others are on their way somewhere: amber). */
const SESSION_TONES = { ready: "ok", "backing-off": "bad", closing: "off", closed: "off", idle: "off" };
/** Item states likewise. */
const OUTCOME_TONES = { acked: "ok", naked: "bad", failed: "bad", superseded: "off", conflated: "off" };

/** Creates an element with `props` (textContent, className, title, …), `data-*` values and children. */
function el(tag, props = {}, dataset = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

/** A table cell keyed `data-key`, holding `text`; a long one keeps its whole text in the title. */
function cell(key, text, className = "") {
  const value = String(text);
  return el("td", { textContent: value, className, title: value }, { key });
}

/** A coloured state badge. */
function badge(state, tones) {
  return el("span", { className: "badge", textContent: state }, { state, tone: tones[state] ?? "busy" });
}

/** A `<time>` element: the local time shown, the ISO instant in its title and value. */
function timeElement(iso, format = TIME_FORMAT) {
  if (typeof iso !== "string") return document.createTextNode("—");
  return el("time", { dateTime: iso, title: iso, textContent: format.format(new Date(iso)) });
}

/** An age in seconds, short: "0 s", "4.2 s", "3 min 07 s", "2 h 05 min". */
function formatAge(seconds) {
  if (seconds < 10) return `${seconds === 0 ? 0 : seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole} s`;
  const two = (value) => String(value).padStart(2, "0");
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${two(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${two(Math.floor(whole / 60) % 60)} min`;
}

const count = (value) => COUNT_FORMAT.format(Number(value));

/** The endpoint's cell: its URL as text, with a line-break opportunity before each path segment. */
function endpointCell(url) {
  const td = el("td", { className: "wrap", title: url }, { key: "endpoint" });
  const authority = url.indexOf("//") + 2;
  const parts = url.slice(authority).split(/(?=\/)/);
  td.append(url.slice(0, authority) + (parts.shift() ?? ""));
  for (const part of parts) td.append(el("wbr"), part);
  return td;
}

function accountRow(account) {
  const rate = el(
    "td",
    { className: "num" },
    { key: "rate" },
    el("span", { textContent: count(account.rateInUse) }, { key: "rate-in-use" }),
    " / ",
    el("span", { textContent: count(account.rateLimit) }, { key: "rate-limit" }),
  );
  return el(
    "tr",
    {},
    { account: account.name, state: account.state },
    el("th", { scope: "row", textContent: account.name }),
    cell("rics", account.rics.join(", "), "wrap"),
    el("td", {}, { key: "state" }, badge(account.state, SESSION_TONES)),
    endpointCell(account.endpoint),
    rate,
    cell("pending", count(account.pendingItems), "num"),
    cell("oldest", formatAge(account.oldestPendingSeconds), "num"),
    cell("reconnects", count(account.reconnects), "num"),
    cell("token-refreshes", count(account.tokenRefreshes), "num"),
  );
}

function outcomeRow(outcome) {
  return el(
    "tr",
    {},
    { cursor: String(outcome.cursor), id: outcome.id, state: outcome.state },
    el("td", {}, { key: "time" }, timeElement(outcome.settledAt)),
    cell("id", outcome.id, "cut"),
    cell("ric", outcome.ric, "cut"),
    cell("account", outcome.account),
    el("td", {}, { key: "state" }, badge(outcome.state, OUTCOME_TONES)),
    cell("nak", outcome.nakCode ?? ""),
  );
}

/** One account's lease as this gateway sees it (cluster mode). */
function leaseRow(lease) {
  const holder = lease.leader ? "this gateway" : (lease.holder ?? "nobody (being taken over)");
  return el(
    "tr",
    {},
    { account: lease.account, leader: String(lease.leader) },
    cell("account", lease.account),
    el("td", {}, { key: "holder" }, badge(holder, { "this gateway": "ok" })),
    cell("age", lease.leader ? formatAge(lease.leaseAgeSeconds) : "—", "num"),
    cell("lag", lease.consumerLag === undefined || lease.consumerLag === null ? "—" : count(lease.consumerLag), "num"),
    cell("redeliveries", count(lease.redeliveries), "num"),
  );
}

/** The cluster panel: shown only in cluster mode. */
function renderCluster(cluster) {
  $("#cluster").hidden = cluster === undefined;
  if (cluster === undefined) return;
  $("#cluster-gateway").textContent = cluster.gatewayId;
  $("#cluster-nats").textContent =
    `${cluster.connected ? "connected" : "DISCONNECTED"} · ${cluster.servers.join(", ")}`;
  $("#cluster-nats").dataset.connected = String(cluster.connected);
  const leading = cluster.accounts.filter((lease) => lease.leader).length;
  $("#cluster-summary").textContent = `(${count(cluster.liveGateways)} gateways; this one leads ${count(leading)})`;
  leasesBody.replaceChildren(...cluster.accounts.map(leaseRow));
}

let snapshots = 0;

function render(status) {
  snapshots += 1;
  $("#outbox").textContent = status.outbox;
  $("#started").replaceChildren(timeElement(status.startedAt, DATE_TIME_FORMAT));
  $("#updated").replaceChildren(timeElement(status.at));
  accountsBody.replaceChildren(...status.accounts.map(accountRow));
  renderCluster(status.cluster);
  $("#account-count").textContent = `(${status.accounts.length})`;
  outcomesBody.replaceChildren(...status.recent.map(outcomeRow));
  $("#outcome-count").textContent = status.recent.length === 0 ? "" : `(last ${status.recent.length})`;
  $("#outcomes-empty").hidden = status.recent.length > 0;
  document.body.dataset.snapshots = String(snapshots);
}

function setLink(state, text) {
  linkStatus.dataset.state = state;
  linkStatus.textContent = text;
  document.body.dataset.link = state;
}

function connect() {
  const source = new EventSource("status/events");
  source.addEventListener("open", () => setLink("live", "Live"));
  source.addEventListener("status", (event) => {
    setLink("live", "Live");
    render(JSON.parse(event.data));
  });
  source.addEventListener("error", () => {
    setLink("lost", "Connection lost, retrying…");
    // EventSource retries a dropped connection by itself, but gives up on an answer other than 200 (a 503
    // while the gateway stops, or when too many pages are open): open a new one after a pause.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, REOPEN_MS);
  });
}

connect();
