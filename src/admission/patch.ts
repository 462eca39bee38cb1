/**
 * Minimal RFC 6902 JSON Patch between two JSON values: operations only where they differ.
 * Objects are diffed key by key (missing parents are created by adding the whole subtree);
 * arrays keep their common prefix and suffix and add or remove in between (appends go as `/-`).
 * Pure: values in, operations out.
 */

export type PatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** Escapes one reference token of a JSON pointer (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string): string {
  if (token.indexOf('~') < 0 && token.indexOf('/') < 0) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural equality of JSON values; a key whose value is undefined counts as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) count--;
  return count === 0;
}

/**
 * Values in operations are shared with `mutated`, not copied: the patch is meant to be serialised at once
 * (JSON.stringify drops undefined-valued keys, as JSON semantics want).
 */
const toJson = (v: unknown): unknown => (v === undefined ? null : v);

function diffObjects(a: Record<string, unknown>, b: Record<string, unknown>, path: string, ops: PatchOperation[]): void {
  for (const k in a) {
    if (a[k] === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(b, k) || b[k] === undefined) ops.push({ op: 'remove', path: `${path}/${escapePointerToken(k)}` });
  }
  for (const k in b) {
    const bv = b[k];
    if (bv === undefined) continue;
    const child = `${path}/${escapePointerToken(k)}`;
    if (!Object.prototype.hasOwnProperty.call(a, k) || a[k] === undefined) ops.push({ op: 'add', path: child, value: toJson(bv) });
    else diffValues(a[k], bv, child, ops);
  }
}

function diffArrays(a: unknown[], b: unknown[], path: string, ops: PatchOperation[]): void {
  const min = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < min && jsonEqual(a[prefix], b[prefix])) prefix++;
  let suffix = 0;
  while (suffix < min - prefix && jsonEqual(a[a.length - 1 - suffix], b[b.length - 1 - suffix])) suffix++;
  if (prefix + suffix === a.length) {
    // b = a with items inserted between prefix and suffix.
    for (let i = prefix; i < b.length - suffix; i++) {
      ops.push({ op: 'add', path: suffix === 0 ? `${path}/-` : `${path}/${i}`, value: toJson(b[i]) });
    }
    return;
  }
  if (prefix + suffix === b.length) {
    // b = a with items removed between prefix and suffix: remove from the highest index down.
    for (let i = a.length - suffix - 1; i >= prefix; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
    return;
  }
  // General case: pairwise diff over the common length, then append or trim the tail.
  for (let i = prefix; i < min; i++) diffValues(a[i], b[i], `${path}/${i}`, ops);
  for (let i = min; i < b.length; i++) ops.push({ op: 'add', path: `${path}/-`, value: toJson(b[i]) });
  for (let i = a.length - 1; i >= min; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
}

function diffValues(a: unknown, b: unknown, path: string, ops: PatchOperation[]): void {
  if (a === b) return;
  if (isPlainObject(a) && isPlainObject(b)) return diffObjects(a, b, path, ops);
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(a, b, path, ops);
  if (jsonEqual(a, b)) return;
  ops.push({ op: 'replace', path, value: toJson(b) });
}

/** The operations that turn `original` into `mutated` (both JSON values); empty when they are equal. */
export function createPatch(original: unknown, mutated: unknown): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diffValues(original, mutated, '', ops);
  return ops;
}
