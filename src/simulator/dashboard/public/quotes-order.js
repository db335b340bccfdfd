// Which rows of the "Last values" table are shown, and in what order: pure functions of the RIC views
// (`{ ric, lastUpdateMs, … }`), no DOM, so the unit tests run them in Node (test/unit/dashboard-quotes-order.test.ts).

/** The orders the table offers, by the value of its "Sort by" control. */
export const SORT_ORDERS = Object.freeze({
  /** By RIC, A to Z (code-unit order, as the simulator's admin API sorts). */
  ric: compareByRic,
  /** Most recently updated first; RICs updated in the same millisecond by RIC. */
  "last-update": compareNewestFirst,
});

/**
 * The filter as typed, made ready for {@link ricMatches}: surrounding blanks dropped, lower case.
 * @param {string} text what the user typed
 * @returns {string}
 */
export function normaliseFilter(text) {
  return String(text ?? "")
    .trim()
    .toLowerCase();
}

/**
 * Whether `ric` contains the filter, ignoring case; the empty filter matches every RIC.
 * @param {string} ric
 * @param {string} filter a filter from {@link normaliseFilter}
 * @returns {boolean}
 */
export function ricMatches(ric, filter) {
  return filter === "" || ric.toLowerCase().includes(filter);
}

/**
 * Orders views by RIC.
 * @param {{ ric: string }} a
 * @param {{ ric: string }} b
 * @returns {number}
 */
function compareByRic(a, b) {
  return a.ric < b.ric ? -1 : a.ric > b.ric ? 1 : 0;
}

/**
 * Orders views newest update first, then by RIC; a view without `lastUpdateMs` counts as never updated.
 * @param {{ ric: string, lastUpdateMs?: number }} a
 * @param {{ ric: string, lastUpdateMs?: number }} b
 * @returns {number}
 */
function compareNewestFirst(a, b) {
  return (b.lastUpdateMs ?? 0) - (a.lastUpdateMs ?? 0) || compareByRic(a, b);
}

/**
 * Where `item` goes in `sorted` (sorted by `compare`) to keep it sorted: after every element that does not
 * come after it. Binary search, so placing one changed row among a thousand costs ten comparisons.
 * @template T
 * @param {readonly T[]} sorted
 * @param {T} item
 * @param {(a: T, b: T) => number} compare
 * @returns {number} an index from 0 to `sorted.length`
 */
export function insertionIndex(sorted, item, compare) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(sorted[middle], item) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
