/**
 * Where a WasmPlugin's module comes from, read off its `url` as Istio reads it: a scheme of `oci`, `file`, `http`
 * or `https` (case-insensitive), and no scheme meaning an OCI image reference. Shared by validation (which says
 * what mizzen cannot fetch) and the xDS generator (which writes the code source Envoy reads). Pure; never throws.
 */
import { shown } from '../core/shown.js';

export type WasmSource =
  /** An OCI image: only Istio's agent pulls those, plain Envoy cannot. */
  | { kind: 'oci'; reference: string }
  /** A module file in the proxy's file system (what follows `file://`, as Istio takes it). */
  | { kind: 'file'; filename: string }
  /** A module Envoy fetches itself over HTTP(S) through a cluster for `host:port`. */
  | { kind: 'remote'; scheme: 'http' | 'https'; host: string; port: number; uri: string }
  /** A URL Istio accepts but that names nothing to fetch (no host, no file): the plugin cannot be applied. */
  | { kind: 'unusable'; reason: string }
  /** A URL Istio refuses. */
  | { kind: 'invalid'; reason: string };

/** The URL schemes Istio accepts (`''`: none, an OCI image). */
export const WASM_URL_SCHEMES: readonly string[] = ['oci', 'file', 'http', 'https'];

/** A leading `scheme:` as Go's url package finds one: a letter, then letters, digits, `+`, `-` or `.`. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function wasmSource(url: string): WasmSource {
  if (url === '') return { kind: 'invalid', reason: 'is required' };
  if (CONTROL.test(url)) return { kind: 'invalid', reason: 'must not contain control characters' };
  const m = SCHEME.exec(url);
  const scheme = m ? m[1]!.toLowerCase() : '';
  if (m && !WASM_URL_SCHEMES.includes(scheme)) {
    const hint = /^\d/.test(url.slice(m[0].length)) ? `; an OCI image on a registry with a port is written oci://${url}` : '';
    return { kind: 'invalid', reason: `unsupported scheme "${m[1]}": must be oci://, file://, http:// or https:// (no scheme means an OCI image)${hint}` };
  }
  if (scheme === '' || scheme === 'oci') return { kind: 'oci', reference: scheme === '' ? url : url.slice(m![0].length).replace(/^\/\//, '') };
  const rest = url.slice(m![0].length);
  if (scheme === 'file') {
    const filename = rest.replace(/^\/\//, '');
    return filename === '' ? { kind: 'unusable', reason: 'names no file' } : { kind: 'file', filename };
  }
  // The authority read by hand: WHATWG URL parsing takes `http:///x` as the host `x`, where Go (and Envoy) see none.
  const authority = rest.startsWith('//') ? rest.slice(2).split(/[/?#]/, 1)[0]! : '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const hp = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*))(?::(\d*))?$/.exec(hostPort);
  if (!hp) return { kind: 'invalid', reason: `is not a valid URL: cannot read host and port from ${shown(hostPort)}` };
  const host = (hp[1] ?? hp[2] ?? '').toLowerCase();
  if (host === '') return { kind: 'unusable', reason: `names no host (${scheme}://host[:port]/path) from which to fetch the module` };
  const port = hp[3] === undefined || hp[3] === '' ? (scheme === 'https' ? 443 : 80) : Number(hp[3]);
  if (!(port >= 1 && port <= 65535)) return { kind: 'unusable', reason: `port ${hp[3]} is out of range (1..65535)` };
  try {
    new URL(url);
  } catch {
    return { kind: 'invalid', reason: 'is not a valid URL' };
  }
  return { kind: 'remote', scheme: scheme as 'http' | 'https', host, port, uri: `${scheme}:${rest}` };
}
