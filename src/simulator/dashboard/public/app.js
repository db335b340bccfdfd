// Entry point of the dashboard page: opens the live event stream (GET /dashboard/events, server-sent
// events) and hands each event to the views. See docs/simulator.md, "Dashboard", for the event format.
import { ActivityLog } from "./activity-log.js";
import { AdminClient, eventsUrl, readToken } from "./admin-client.js";
import { ContributorsView } from "./contributors-view.js";
import { FaultControls, describeFault } from "./fault-controls.js";
import { OutcomesView } from "./outcomes-view.js";
import { QuotesView } from "./quotes-view.js";
import { RateChart } from "./rate-chart.js";

const $ = (selector) => document.querySelector(selector);

const token = readToken();
const activity = new ActivityLog($("#activity"));
const contributors = new ContributorsView($("#contributors"), $("#contributors-empty"), $("#contributor-count"));
const quotes = new QuotesView($("#quotes"), $("#quotes-empty"), $("#quotes-count"), {
  filter: $("#quotes-filter"),
  sort: $("#quotes-sort"),
  status: $("#quotes-filter-status"),
  noMatch: $("#quotes-no-match"),
});
const chart = new RateChart($("#rate-chart"), $("#rate-now"), $("#rate-peak"), $("#rate-span"), $("#rate-scale"));
const outcomes = new OutcomesView($("#outcomes"));
const faults = new FaultControls($(".faults"), new AdminClient(token), activity);
const status = $("#link-status");
const serverInfo = $("#server-info");
let snapshots = 0;

function setStatus(state, text) {
  if (status.dataset.state === state && status.textContent === text) return;
  status.dataset.state = state;
  status.textContent = text;
}

function on(source, type, handler) {
  source.addEventListener(type, (event) => handler(JSON.parse(event.data)));
}

function connect() {
  const source = new EventSource(eventsUrl(token));
  source.addEventListener("open", () => setStatus("live", "Live"));
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      // EventSource gives up only when the server refuses the stream (401 without the right admin token).
      setStatus("denied", "Stream refused: open this page as /?token=<admin token>");
    } else {
      setStatus("connecting", "Reconnecting…");
    }
  });
  on(source, "snapshot", (snapshot) => {
    snapshots += 1;
    serverInfo.textContent =
      `WebSocket ${snapshot.server.wsUrls.join(", ") || "—"} · max ${snapshot.server.maxMessagesPerSecond} ` +
      `msg/s · known RICs ${snapshot.server.knownRics.join(", ")}`;
    contributors.reset(snapshot.connections);
    quotes.reset(snapshot.rics, snapshot.ricsTotal);
    chart.reset(snapshot.rate, snapshot.tickIntervalMs);
    outcomes.render(snapshot.counters);
    faults.render(snapshot.faults);
    activity.add(snapshots === 1 ? "Dashboard connected" : "Dashboard reconnected", snapshot.nowMs);
    document.body.dataset.snapshots = String(snapshots);
  });
  on(source, "connection", (info) => {
    contributors.update(info);
    activity.connection(info);
  });
  on(source, "login-refused", (refusal) => activity.loginRefused(refusal));
  on(source, "rics", (views) => quotes.update(views));
  on(source, "tick", (tick) => {
    chart.add(tick.point);
    quotes.setTotal(tick.ricsTotal);
    outcomes.render(tick.counters);
    contributors.updateCounts(tick.connections);
    faults.render(tick.faults);
  });
  on(source, "faults", (event) => {
    faults.render(event.active);
    activity.add(`Fault injected: ${describeFault(event.added)}`, event.added.createdAtMs);
  });
}

connect();
