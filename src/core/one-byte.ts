/**
 * `s` as a one-byte string when every character fits in Latin-1. V8 keeps a string two-byte when any part it
 * was made from is (e.g. a property name first seen in a source file holding a non-Latin-1 character), and a
 * single two-byte piece makes every text joined with it two-byte: slower to flatten, encode and send. For texts
 * made once and reused. Pure.
 */
export function oneByte(s: string): string {
  const t = Buffer.from(s, 'latin1').toString('latin1');
  return t === s ? t : s;
}
