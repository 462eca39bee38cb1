/** Lookups in lists sorted by JavaScript's default order (UTF-16 code units, as Array.prototype.sort() leaves them). */

/** The position of `key` in `sorted`, or -1: a binary search. */
export function indexOfSorted(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = sorted[mid]!;
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
