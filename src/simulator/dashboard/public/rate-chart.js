// Posts per second over the last minutes, as an inline SVG line (no library, no canvas: it scales and is
// styled by the page's CSS). The numbers themselves are in the text above the chart and in its label.
import { formatCount } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 300;
const HEIGHT = 100;
/** Points the time axis shows at least (60 ticks of 1 s). */
const MIN_SHOWN_POINTS = 60;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** Rounds up to 1, 2 or 5 times a power of ten, so the scale reads well. */
function niceCeiling(value) {
  if (value <= 10) return 10;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export class RateChart {
  #root;
  #line;
  #now;
  #peak;
  #span;
  #points = [];
  #maxPoints = 300;
  #stepMs = 1000;

  #scale;

  constructor(container, nowLabel, peakLabel, spanLabel, scaleLabel) {
    this.#scale = scaleLabel;
    this.#now = nowLabel;
    this.#peak = peakLabel;
    this.#span = spanLabel;
    this.#root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", role: "img" });
    this.#root.append(
      svg("line", { class: "axis", x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }),
      svg("line", { class: "axis", x1: 0, y1: 5, x2: WIDTH, y2: 5 }),
    );
    this.#line = svg("polyline", { class: "line", points: "" });
    this.#root.append(this.#line);
    container.replaceChildren(this.#root);
  }

  /** Starts over with the snapshot's history. */
  reset(points, stepMs, maxPoints = 300) {
    this.#stepMs = stepMs;
    this.#maxPoints = maxPoints;
    this.#points = points.slice(-maxPoints);
    this.#draw();
  }

  /** Appends one tick's point. */
  add(point) {
    this.#points.push(point);
    if (this.#points.length > this.#maxPoints) this.#points.splice(0, this.#points.length - this.#maxPoints);
    this.#draw();
  }

  #draw() {
    const last = this.#points.at(-1);
    const peak = this.#points.reduce((max, point) => Math.max(max, point.postsPerSecond), 0);
    const scale = niceCeiling(peak);
    // The time axis grows with the history, from one minute up to the full window, so a fresh page is readable.
    const shownPoints = Math.min(this.#maxPoints, Math.max(MIN_SHOWN_POINTS, this.#points.length));
    const spanMs = this.#stepMs * shownPoints;
    this.#span.textContent =
      spanMs >= 120_000 ? `${Math.round(spanMs / 60_000)} min` : `${Math.round(spanMs / 1000)} s`;
    const endMs = last?.atMs ?? 0;
    // Plotted by time, so a gap (dropped ticks, a closed tab) shows as a straight segment, not a shift.
    const coordinates = this.#points.map((point) => {
      const x = WIDTH - ((endMs - point.atMs) / spanMs) * WIDTH;
      const y = HEIGHT - (point.postsPerSecond / scale) * (HEIGHT - 5);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    this.#line.setAttribute("points", coordinates.join(" "));
    const now = last?.postsPerSecond ?? 0;
    this.#now.textContent = formatCount(now);
    this.#peak.textContent = formatCount(peak);
    this.#scale.textContent = formatCount(scale);
    this.#root.setAttribute(
      "aria-label",
      `Posts per second over the last ${this.#span.textContent}: ${now} now, peak ${peak}, ` +
        `chart scale 0 to ${scale}`,
    );
  }
}
