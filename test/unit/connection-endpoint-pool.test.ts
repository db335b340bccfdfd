/** Ordered failover list of RCC WebSocket URLs (§3.6 [INF]: accept an ordered host list, rotate on failure). */
import { describe, expect, test } from "vitest";
import { EndpointPool, checkEndpointUrl } from "../../src/client/connection/endpoint-pool.js";

const A = "wss://contrib-a.example.test/WebSocket";
const B = "wss://contrib-b.example.test/WebSocket";
const C = "ws://127.0.0.1:15000/WebSocket";

describe("EndpointPool", () => {
  test("starts at the first (preferred) URL and reports its size", () => {
    const pool = new EndpointPool([A, B, C]);
    expect(pool.current).toBe(A);
    expect(pool.size).toBe(3);
    expect(pool.index).toBe(0);
  });

  test("advance moves through the list in order and wraps around after the last", () => {
    const pool = new EndpointPool([A, B, C]);
    expect([pool.advance(), pool.advance(), pool.advance(), pool.advance()]).toEqual([B, C, A, B]);
    expect(pool.current).toBe(B);
  });

  test("reset goes back to the preferred URL", () => {
    const pool = new EndpointPool([A, B, C]);
    pool.advance();
    pool.advance();
    pool.reset();
    expect(pool.current).toBe(A);
    expect(pool.index).toBe(0);
  });

  test("a single URL pool always advances to itself", () => {
    const pool = new EndpointPool([C]);
    expect(pool.advance()).toBe(C);
    expect(pool.current).toBe(C);
  });

  test("the pool keeps its own copy of the list", () => {
    const urls = [A, B];
    const pool = new EndpointPool(urls);
    urls[0] = C;
    expect(pool.current).toBe(A);
    expect(pool.urls).toEqual([A, B]);
  });

  test("an empty list is refused", () => {
    expect(() => new EndpointPool([])).toThrow(TypeError);
  });

  test("URLs that are not ws:// or wss:// are refused", () => {
    expect(() => new EndpointPool([A, "https://contrib.example.test/WebSocket"])).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => new EndpointPool(["not a url"])).toThrow(/not a valid WebSocket URL/);
    expect(() => new EndpointPool([""])).toThrow(TypeError);
  });
});

describe("checkEndpointUrl (the option check of session urls)", () => {
  test("accepts ws:// and wss:// URLs and words each problem", () => {
    expect(checkEndpointUrl(A)).toBeUndefined();
    expect(checkEndpointUrl(C)).toBeUndefined();
    expect(checkEndpointUrl(42)).toBe("must be a string");
    expect(checkEndpointUrl("https://contrib.example.test/WebSocket")).toBe(
      "WebSocket URL must start with ws:// or wss://, got https://contrib.example.test",
    );
    expect(checkEndpointUrl("not a url")).toMatch(/^not a valid WebSocket URL/);
  });

  test("never echoes credentials written into a URL, parsable or not", () => {
    expect(checkEndpointUrl("https://user:s3cret@contrib.example.test/")).not.toContain("s3cret");
    expect(checkEndpointUrl("wss://user:s3cret@[bad host/WebSocket")).not.toContain("s3cret");
  });
});
