/**
 * The names of TLS settings that Envoy (BoringSSL) takes, as Istio checks them: cipher suites (Gateway servers'
 * cipherSuites, the mesh config's meshMTLS and tlsDefaults) and ECDH curves. A name Envoy does not know makes it
 * refuse the whole listener or cluster, so the validators warn and the generators leave such names out. Pure.
 */

/** The TLS 1.0–1.2 cipher suites Istio accepts by name (BoringSSL's, without PSK ones). */
export const CIPHER_SUITES: ReadonlySet<string> = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA', 'AES256-SHA', 'DES-CBC3-SHA',
]);

/** The ECDH curves (key exchange groups) BoringSSL knows by name. */
export const ECDH_CURVES: ReadonlySet<string> = new Set(['P-224', 'P-256', 'P-384', 'P-521', 'X25519', 'X25519Kyber768Draft00', 'X25519MLKEM768']);

/**
 * Whether a cipher suite entry is one Envoy takes: a known name, ALL, or an OpenSSL cipher-string expression
 * ("!aNULL", "[A|B]"), which Istio passes through unchecked. The empty string counts as valid and means nothing.
 */
export const isValidCipherSuite = (c: string): boolean => c === '' || c === 'ALL' || !/^[A-Za-z0-9]/.test(c) || CIPHER_SUITES.has(c);

export const isValidEcdhCurve = (c: string): boolean => ECDH_CURVES.has(c);

/** The entries of a list that `valid` accepts, each once, in their order, without empty strings. */
export function usableNames(list: readonly unknown[], valid: (s: string) => boolean): string[] {
  const out: string[] = [];
  for (const s of list) if (typeof s === 'string' && s !== '' && valid(s) && !out.includes(s)) out.push(s);
  return out;
}
