/**
 * Reading a message written as proto3 JSON, as the readers of ProxyConfig's fields do (gatewayTopology,
 * proxyHeaders, tracing): a field under its JSON name or its proto name, but not both; null for unset; a uint32
 * also as a string of digits. Pure.
 */
import { shown } from './shown.js';

/** A field's proto name from its JSON name: xForwardedHost → x_forwarded_host. */
export const protoName = (json: string): string => json.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Each field by its JSON name and by its proto name. */
export function fieldNames<N extends string>(fields: readonly N[]): ReadonlyMap<string, N> {
  const out = new Map<string, N>();
  for (const f of fields) out.set(f, f).set(protoName(f), f);
  return out;
}

const UINT32_MAX = 2 ** 32 - 1;

/** A uint32 as proto3 JSON writes it (a number, or a string of digits); else what is wrong with it. */
export function uint32(v: unknown): number | string {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= UINT32_MAX ? n : `must be a whole number from 0 to ${UINT32_MAX}, got ${shown(v)}`;
}

/**
 * The fields of `input` that `names` knows, as [field, key as written, value], each field once: one given under both
 * of its names is an error (named from `at`, the path below the message), one set to null is left out (unset).
 * Other keys go to `unknown`, in their turn: the keys are walked in order as the caller takes the fields.
 */
export function* protoFields<N extends string>(input: Readonly<Record<string, unknown>>, names: ReadonlyMap<string, N>, at: string, errors: string[], unknown: (key: string) => void): Generator<[N, string, unknown]> {
  const seen = new Map<N, string>();
  for (const [key, value] of Object.entries(input)) {
    const name = names.get(key);
    if (name === undefined) {
      unknown(key);
      continue;
    }
    const twice = seen.get(name);
    if (twice !== undefined) errors.push(`${at}${key}: given again as ${at}${twice} (set one of them)`);
    seen.set(name, key);
    if (value !== null) yield [name, key, value];
  }
}
