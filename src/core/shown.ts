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

/** How many names (unknown or ignored keys) one message lists at the most. */
export const MAX_NAMED = 10;

/** Adds `name` to the names a message will list: up to MAX_NAMED of them, then '…' once for the rest. */
export function noteNamed(names: string[], name: string): void {
  if (names.length < MAX_NAMED) names.push(name);
  else if (names.length === MAX_NAMED) names.push('…');
}
