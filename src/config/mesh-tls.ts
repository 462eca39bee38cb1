/**
 * Istio's meshMTLS and tlsDefaults (MeshConfig.TLSConfig: minProtocolVersion, ecdhCurves, cipherSuites) in mizzen's
 * mesh config, checked as istiod checks them: meshMTLS takes no curves (an error, as in istiod); a version other
 * than TLS_AUTO, TLSV1_2 or TLSV1_3 is an error; a curve or cipher suite Envoy does not know is a warning and left
 * out (Envoy would refuse every listener or cluster carrying it), as is one named twice. Pure.
 */
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';
import { ECDH_CURVES, isValidCipherSuite, isValidEcdhCurve } from '../core/tls-names.js';
import type { MeshTls } from '../model/types.js';

export type MeshTlsField = 'meshMTLS' | 'tlsDefaults';

const VERSIONS = ['TLS_AUTO', 'TLSV1_2', 'TLSV1_3'] as const;
const KEYS = new Set(['minProtocolVersion', 'ecdhCurves', 'cipherSuites']);

/** The strings of a list field, or undefined (with an error naming it) when it is not a list of strings. */
function strings(value: unknown, path: string, errors: string[]): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push(`${path}: must be a list of strings, got ${shown(value)}`);
    return undefined;
  }
  const bad = value.findIndex((s) => typeof s !== 'string');
  if (bad >= 0) {
    errors.push(`${path}[${bad}]: must be a string, got ${shown(value[bad])}`);
    return undefined;
  }
  return value as string[];
}

/** The names of a list that Envoy takes, each once; the others are warned about by index and left out. */
function usable(list: readonly string[], path: string, unknown: string, valid: (s: string) => boolean, warnings: string[]): string[] {
  const out: string[] = [];
  list.forEach((s, i) => {
    if (s === '') return;
    if (!valid(s)) warnings.push(`${path}[${i}]: ignoring ${shown(s)}: ${unknown}`);
    else if (out.includes(s)) warnings.push(`${path}[${i}]: ignoring ${shown(s)}: named before`);
    else out.push(s);
  });
  return out;
}

const UNKNOWN_CURVE = `not an ECDH curve Envoy knows (${[...ECDH_CURVES].join(', ')})`;
const UNKNOWN_CIPHER = 'not a cipher suite Envoy knows';

/** A meshMTLS or tlsDefaults mapping as the generators read it; errors and warnings name the field. */
export function readMeshTls(input: unknown, field: MeshTlsField, errors: string[], warnings: string[]): MeshTls {
  if (input === undefined || input === null) return {};
  if (!isObject(input)) {
    errors.push(`${field}: must be a mapping, got ${shown(input)}`);
    return {};
  }
  for (const k of Object.keys(input)) if (!KEYS.has(k)) errors.push(`${field}.${k}: unknown field`);
  const out: MeshTls = {};
  const version: unknown = input.minProtocolVersion ?? 'TLS_AUTO';
  if (!VERSIONS.includes(version as (typeof VERSIONS)[number])) errors.push(`${field}.minProtocolVersion: ${shown(version)} must be one of ${VERSIONS.join(', ')}`);
  else if (version !== 'TLS_AUTO') out.minProtocolVersion = version as 'TLSV1_2' | 'TLSV1_3';
  const curves = strings(input.ecdhCurves, `${field}.ecdhCurves`, errors);
  if (curves && curves.length > 0) {
    if (field === 'meshMTLS') errors.push('meshMTLS.ecdhCurves: mesh mTLS does not take ECDH curves (istiod refuses them too); tlsDefaults.ecdhCurves sets them for the other TLS');
    else {
      const ok = usable(curves, `${field}.ecdhCurves`, UNKNOWN_CURVE, isValidEcdhCurve, warnings);
      if (ok.length > 0) out.ecdhCurves = ok;
    }
  }
  const ciphers = strings(input.cipherSuites, `${field}.cipherSuites`, errors);
  if (ciphers) {
    const ok = usable(ciphers, `${field}.cipherSuites`, UNKNOWN_CIPHER, isValidCipherSuite, warnings);
    if (ok.length > 0) out.cipherSuites = ok;
  }
  return out;
}

/** The snapshot options of the two settings: those that set something. */
export function meshTlsOptions(mesh: { meshMTLS: MeshTls; tlsDefaults: MeshTls }): { meshMtls?: MeshTls; tlsDefaults?: MeshTls } {
  const set = (t: MeshTls): boolean => Object.keys(t).length > 0;
  return { ...(set(mesh.meshMTLS) ? { meshMtls: structuredClone(mesh.meshMTLS) } : {}), ...(set(mesh.tlsDefaults) ? { tlsDefaults: structuredClone(mesh.tlsDefaults) } : {}) };
}
