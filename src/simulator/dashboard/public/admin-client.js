// The admin API as the page uses it (POST/DELETE /admin/faults) and the admin token handling.
// The token comes from the page URL (?token=…); it is kept in sessionStorage for reloads of this tab and
// removed from the address bar at once so it is not left in history or shown on screen.

const STORAGE_KEY = "rcc-dashboard-token";

/** Reads the admin token from `?token=` (then strips it from the URL) or from this tab's storage. */
export function readToken() {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl !== null) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    try {
      sessionStorage.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // Storage may be disabled; the token then lasts until the page is reloaded.
    }
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

/** URL of the event stream; EventSource cannot send headers, so the token goes in the query. */
export function eventsUrl(token) {
  const url = new URL("dashboard/events", document.baseURI);
  if (token) url.searchParams.set("token", token);
  return url.href;
}

/** Calls the admin API with the token as a bearer header. */
export class AdminClient {
  #token;

  constructor(token) {
    this.#token = token;
  }

  /** Adds a fault (`{type, …}` as in docs/simulator.md). @returns {Promise<{ok, status, body}>} */
  addFault(spec) {
    return this.#request("POST", "admin/faults", spec);
  }

  /** Clears every fault, or those of one type. */
  clearFaults(type) {
    const query = type === undefined ? "" : `?type=${encodeURIComponent(type)}`;
    return this.#request("DELETE", `admin/faults${query}`);
  }

  /** Lists the active faults. */
  listFaults() {
    return this.#request("GET", "admin/faults");
  }

  async #request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      const response = await fetch(new URL(path, document.baseURI), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const parsed = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, body: parsed };
    } catch (error) {
      return { ok: false, status: 0, body: { message: `the simulator did not answer (${error.message})` } };
    }
  }
}
