/** The dashboard page and its static files on the simulator's main HTTP server (content types, caching, routes). */
import { describe, expect, test } from "vitest";
import { rawRequest } from "../helpers/auth.js";
import { useSimulators } from "../helpers/raw-client.js";

const start = useSimulators();

describe("the dashboard page", () => {
  test("is served at / as HTML that loads only its own files, under a strict content security policy", async () => {
    const sim = await start();
    const response = await fetch(sim.dashboardUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("etag")).toMatch(/^"[\w-]+"$/);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    expect(html).toContain('<script type="module" src="dashboard/app.js"></script>');
    expect(html).not.toMatch(/https?:\/\//); // no CDN
  });

  test("serves every file the page and its modules refer to, with the right content type", async () => {
    const sim = await start();
    const html = await (await fetch(sim.dashboardUrl)).text();
    const referenced = [...html.matchAll(/(?:src|href)="dashboard\/([\w.-]+)"/g)].map((match) => match[1]!);
    expect(referenced).toEqual(expect.arrayContaining(["app.js", "dashboard.css", "favicon.svg"]));
    const types: Record<string, string> = {
      js: "text/javascript; charset=utf-8",
      css: "text/css; charset=utf-8",
      svg: "image/svg+xml",
    };
    const seen = new Set<string>();
    const queue = [...referenced];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const response = await fetch(`${sim.dashboardUrl}dashboard/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get("content-type"), name).toBe(types[name.split(".").pop()!]);
      const body = await response.text();
      if (name.endsWith(".js")) {
        for (const match of body.matchAll(/from "\.\/([\w.-]+)"/g)) queue.push(match[1]!);
      }
    }
    expect([...seen]).toEqual(
      expect.arrayContaining(["dom.js", "quotes-view.js", "rate-chart.js", "fault-controls.js"]),
    );
  });

  test("answers 304 to a revalidation with the current ETag, and HEAD without a body", async () => {
    const sim = await start();
    const url = `${sim.dashboardUrl}dashboard/app.js`;
    const first = await fetch(url);
    const etag = first.headers.get("etag")!;
    const again = await rawRequest(url, { method: "GET", headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await rawRequest(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBe((await first.arrayBuffer()).byteLength);
    expect(head.body.length).toBe(0);
  });

  test("redirects /dashboard and /dashboard/ to the page, keeping the query (the token)", async () => {
    const sim = await start();
    for (const path of ["dashboard", "dashboard/"]) {
      const response = await rawRequest(`${sim.dashboardUrl}${path}?token=abc`, { method: "GET" });
      expect(response.status).toBe(308);
      expect(response.headers.location).toBe("/?token=abc");
    }
  });

  test("answers unknown files, escapes from the folder and other methods with JSON errors", async () => {
    const sim = await start();
    for (const path of ["dashboard/nope.js", "dashboard/../package.json", "dashboard/%2e%2e/package.json"]) {
      const response = await rawRequest(`${sim.dashboardUrl}${path}`, { method: "GET" });
      expect(response.status, path).toBe(404);
      expect(JSON.parse(response.body.toString("utf8"))).toMatchObject({ error: "not_found" });
    }
    const posted = await rawRequest(sim.dashboardUrl, { method: "POST", body: "x" });
    expect(posted.status).toBe(405);
    expect(posted.headers.allow).toBe("GET, HEAD");
  });

  test("the simulator's other routes are unchanged: the admin API and a 404 elsewhere", async () => {
    const sim = await start();
    expect((await fetch(`${sim.adminUrl}/state`)).status).toBe(200);
    const response = await fetch(`${sim.dashboardUrl}elsewhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json");
  });
});
