/**
 * The quote table's filter and orders (src/simulator/dashboard/public/quotes-order.js): the pure part of the
 * page's "Filter RICs" and "Sort by", run in Node. The page itself is tested in Chromium (test/e2e).
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";

/** A RIC view as the page holds it, reduced to what the orders read. */
interface View {
  ric: string;
  lastUpdateMs?: number;
}

/** The module's exports; it is a browser ES module without type declarations. */
interface QuotesOrder {
  SORT_ORDERS: Readonly<Record<"ric" | "last-update", (a: View, b: View) => number>>;
  normaliseFilter(text: string): string;
  ricMatches(ric: string, filter: string): boolean;
  insertionIndex<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number): number;
}

// Imported through a variable: the project's TypeScript does not type-check the page's JavaScript.
const modulePath = "../../src/simulator/dashboard/public/quotes-order.js";
const order = (await import(modulePath)) as QuotesOrder;

describe("the quote table's RIC filter", () => {
  test("matches a part of the RIC in any case, ignoring blanks around what was typed", () => {
    const filter = order.normaliseFilter("  test1 ");
    expect(filter).toBe("test1");
    const rics = ["TRCCTEST01", "TRCCTEST10", "TRCCTEST11", "VOD.L", "trcctest12"];
    expect(rics.filter((ric) => order.ricMatches(ric, filter))).toEqual(["TRCCTEST10", "TRCCTEST11", "trcctest12"]);
    expect(rics.filter((ric) => order.ricMatches(ric, order.normaliseFilter(".l")))).toEqual(["VOD.L"]);
  });

  test("an empty or blank filter matches every RIC, and one that is in no RIC matches none", () => {
    for (const typed of ["", "   "]) expect(order.ricMatches("ANY.RIC", order.normaliseFilter(typed))).toBe(true);
    expect(order.ricMatches("TRCCTEST01", order.normaliseFilter("TEST011"))).toBe(false);
  });
});

describe("the quote table's orders", () => {
  const views: View[] = [
    { ric: "TRCCTEST02", lastUpdateMs: 300 },
    { ric: "TRCCTEST01", lastUpdateMs: 100 },
    { ric: "TRCCTEST03", lastUpdateMs: 300 },
    { ric: "TRCCTEST04" },
  ];

  test("by RIC sorts A to Z; by last update puts the newest first, same-millisecond ones by RIC, never-updated last", () => {
    expect([...views].sort(order.SORT_ORDERS.ric).map((view) => view.ric)).toEqual([
      "TRCCTEST01",
      "TRCCTEST02",
      "TRCCTEST03",
      "TRCCTEST04",
    ]);
    expect([...views].sort(order.SORT_ORDERS["last-update"]).map((view) => view.ric)).toEqual([
      "TRCCTEST02",
      "TRCCTEST03",
      "TRCCTEST01",
      "TRCCTEST04",
    ]);
  });

  test("insertionIndex keeps an array sorted: inserting anything anywhere gives the fully sorted array", () => {
    const view = fc.record({ ric: fc.stringMatching(/^[A-Z]{1,3}$/), lastUpdateMs: fc.integer({ min: 0, max: 20 }) });
    fc.assert(
      fc.property(fc.array(view, { maxLength: 40 }), view, fc.constantFrom("ric", "last-update"), (list, item, key) => {
        const compare = order.SORT_ORDERS[key];
        const sorted = [...list].sort(compare);
        const index = order.insertionIndex(sorted, item, compare);
        sorted.splice(index, 0, item);
        for (let at = 1; at < sorted.length; at += 1)
          expect(compare(sorted[at - 1]!, sorted[at]!)).toBeLessThanOrEqual(0);
        // After its equals: an update that does not move a row leaves it where it was.
        expect(sorted.slice(index + 1).every((other) => compare(other, item) > 0)).toBe(true);
      }),
    );
  });

  test("insertionIndex finds the top of a thousand-row newest-first table for a new update in ten comparisons", () => {
    const table = Array.from({ length: 1000 }, (_, index) => ({ ric: `R${index}`, lastUpdateMs: 1000 - index }));
    let comparisons = 0;
    const counting = (a: View, b: View): number => {
      comparisons += 1;
      return order.SORT_ORDERS["last-update"](a, b);
    };
    expect(order.insertionIndex(table, { ric: "NEW", lastUpdateMs: 5000 }, counting)).toBe(0);
    expect(comparisons).toBeLessThanOrEqual(Math.ceil(Math.log2(1001)));
  });
});
