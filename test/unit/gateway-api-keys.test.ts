/** Producers' API keys: known by their SHA-256 only, scoped to accounts and RIC patterns, checked from the header. */
import { describe, expect, it } from "vitest";
import { ApiKeys, generateApiKey, hashApiKey } from "../../src/gateway/api-keys.js";

describe("API keys", () => {
  it("generates recognisable random keys whose hash is their configuration entry", () => {
    const first = generateApiKey();
    const second = generateApiKey();
    expect(first.key).toMatch(/^rcck_[A-Za-z0-9_-]{43}$/);
    expect(first.key).not.toBe(second.key);
    expect(first.sha256).toBe(hashApiKey(first.key));
    expect(first.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("authenticates 'Bearer <key>' (any case of Bearer) and nothing else", () => {
    const { key, sha256 } = generateApiKey();
    const keys = new ApiKeys([{ name: "desk", sha256 }]);
    expect(keys.authenticate(`Bearer ${key}`)?.name).toBe("desk");
    expect(keys.authenticate(`bearer ${key}`)?.name).toBe("desk");
    for (const header of [undefined, "", key, `Basic ${key}`, `Bearer ${key}x`, `Bearer  `, `Bearer ${key} extra`]) {
      expect(keys.authenticate(header), String(header)).toBeUndefined();
    }
  });

  it("scopes a key to its accounts and RIC patterns (both default to everything)", () => {
    const wide = generateApiKey();
    const narrow = generateApiKey();
    const keys = new ApiKeys([
      { name: "wide", sha256: wide.sha256 },
      { name: "narrow", sha256: narrow.sha256, accounts: ["desk-b"], rics: ["EUR=", "GBP*"] },
    ]);
    expect(keys.size).toBe(2);
    const all = keys.authenticate(`Bearer ${wide.key}`)!;
    expect(all.may("desk-a", "TRCCTEST01")).toBe(true);
    const some = keys.authenticate(`Bearer ${narrow.key}`)!;
    expect(some.may("desk-b", "EUR=")).toBe(true);
    expect(some.may("desk-b", "GBPUSD=")).toBe(true);
    expect(some.may("desk-a", "EUR=")).toBe(false);
    expect(some.may("desk-b", "TRCCTEST01")).toBe(false);
  });

  it("refuses a malformed hash and a key configured twice, naming the entry", () => {
    const { sha256 } = generateApiKey();
    expect(() => new ApiKeys([{ name: "x", sha256: "abc" }])).toThrow(
      'API key 1 (x): sha256 must be "sha256:" and 64 lowercase hex digits',
    );
    expect(
      () =>
        new ApiKeys([
          { name: "a", sha256 },
          { name: "b", sha256 },
        ]),
    ).toThrow("API key 2 (b): the same key is configured twice");
  });
});
