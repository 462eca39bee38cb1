/**
 * Istio's accessLogFormat: the mesh access log's format. With accessLogEncoding TEXT it is an Envoy format string
 * (a newline is added when it has none, as Istio does); with JSON it is a JSON object of fields whose values are
 * format strings (or numbers, or nested objects of them), which Envoy writes as one JSON line. Istio falls back to
 * its default when the JSON does not parse; mizzen names the field instead, so the mistake is seen at start. Pure.
 */
import { type Result, ok, fail } from '../core/result.js';
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';

export type AccessLogFormat = { text: string } | { fields: Record<string, unknown> };

/** How deep the nested objects of a JSON format may go. */
const MAX_DEPTH = 8;

/** The first value of `fields` (at `path`) that Envoy's json_format does not take, if any. */
function badValue(fields: Record<string, unknown>, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path}: nested more than ${MAX_DEPTH} deep`;
  for (const [k, v] of Object.entries(fields)) {
    const at = `${path}.${k}`;
    if (isObject(v)) {
      const bad = badValue(v, at, depth + 1);
      if (bad) return bad;
    } else if (typeof v !== 'string' && typeof v !== 'number') return `${at}: must be a format string, a number or an object, got ${shown(v)}`;
  }
  return undefined;
}

/** The format of the given encoding; undefined for '' (Envoy's default line, or Istio's JSON fields). */
export function readAccessLogFormat(format: string, encoding: 'TEXT' | 'JSON'): Result<AccessLogFormat | undefined> {
  if (format === '') return ok(undefined);
  if (encoding === 'TEXT') return ok({ text: format.endsWith('\n') ? format : `${format}\n` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(format);
  } catch (e) {
    return fail(`accessLogFormat: with accessLogEncoding JSON it must be a JSON object of fields: ${(e as Error).message}`);
  }
  if (!isObject(parsed) || Object.keys(parsed).length === 0) return fail(`accessLogFormat: with accessLogEncoding JSON it must be a JSON object of fields, got ${shown(parsed)}`);
  const bad = badValue(parsed, 'accessLogFormat', 0);
  return bad ? fail(bad) : ok({ fields: parsed });
}
