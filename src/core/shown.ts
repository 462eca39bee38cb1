/**
 * A value as an error message shows it: strings quoted (and cut), numbers and booleans as they are, lists and
 * mappings by what they are. Never JSON.stringify a value from the input into a message: it may be deep enough to
 * overflow the stack, or large enough to flood the answer. Pure.
 */
export function shown(v: unknown, max = 80): string {
  if (typeof v === 'string') return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === 'object' ? 'a mapping' : typeof v;
}
