/**
 * Whether an object as the Kubernetes API server returns it still holds what a controller set, whatever the
 * server added (defaults such as a Service's clusterIP and nodePorts, a container's terminationMessagePath) or
 * dropped (Go's omitempty leaves out empty strings, lists and maps, false and 0). Pure.
 */
import { isObject } from './object.js';

/** The zero values the API server omits when it encodes an object (omitempty). */
const isZero = (v: unknown): boolean => v === '' || v === false || v === 0 || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

/**
 * Compares two scalars found at `path` (keys and list indexes from the top); `===` unless told otherwise (e.g.
 * resource quantities that the server writes in canonical form: "1000m" comes back as "1").
 */
export type ScalarEqual = (wanted: unknown, actual: unknown, path: readonly (string | number)[]) => boolean;

/**
 * Whether `actual` holds every value `wanted` sets: maps key by key (keys only `actual` has are allowed), lists
 * element by element with the same length (a list is set whole), scalars by `equal`; a zero value `wanted` sets
 * is held by its absence.
 */
export function holds(actual: unknown, wanted: unknown, equal: ScalarEqual = (a, b) => a === b, path: (string | number)[] = []): boolean {
  if (actual === undefined && isZero(wanted)) return true;
  if (Array.isArray(wanted)) {
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => holds(actual[i], w, equal, [...path, i]));
  }
  if (isObject(wanted)) {
    return isObject(actual) && Object.entries(wanted).every(([k, w]) => holds(actual[k], w, equal, [...path, k]));
  }
  return equal(wanted, actual, path);
}
