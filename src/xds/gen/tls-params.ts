/**
 * Envoy's TlsParameters (versions, ECDH curves, cipher suites) of each kind of TLS context, as istiod sets them:
 *
 * - Sidecars' inbound mesh mTLS: TLS 1.2 (1.3 when meshMTLS.minProtocolVersion says TLSV1_3) to 1.3, the cipher
 *   suites of meshMTLS, else Istio's six (ECDHE and plain AES-GCM); Envoy's default curves.
 * - Clients' mesh mTLS (ISTIO_MUTUAL, auto mTLS): TLS 1.2 to 1.3 (Envoy's clients stop at 1.2 by default), and
 *   nothing of the mesh config: meshMTLS is the servers' alone.
 * - DestinationRule SIMPLE and MUTUAL clients: TLS 1.2 to 1.3, with tlsDefaults' curves and cipher suites; its
 *   minProtocolVersion is the servers' alone.
 * - Gateway servers terminating with their own certificates (SIMPLE, MUTUAL, OPTIONAL_MUTUAL): tlsDefaults' curves,
 *   cipher suites and minimum version, each replaced by the server's own (minProtocolVersion, maxProtocolVersion,
 *   ecdhCurves, cipherSuites) when it sets one; nothing when neither sets anything. A gateway's ISTIO_MUTUAL server
 *   takes Envoy's defaults.
 *
 * A curve or cipher suite of a server's own that Envoy does not know is left out (validation warns), as istiod
 * leaves such cipher suites out; the mesh config's were checked when it was read (config/mesh-tls.ts). Pure.
 */
import type { MeshTls } from '../../model/types.js';
import { asArray } from '../../model/selectors.js';
import { isValidCipherSuite, isValidEcdhCurve, usableNames } from '../../core/tls-names.js';
import type { Json } from './common.js';

/** The cipher suites of inbound mesh mTLS where meshMTLS names none (istiod's). */
export const MESH_MTLS_CIPHER_SUITES: readonly string[] = Object.freeze([
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
]);

/** Istio's TLS protocol versions (a Gateway server's, the mesh config's) as Envoy names them. */
const VERSIONS: Readonly<Record<string, string>> = { TLSV1_0: 'TLSv1_0', TLSV1_1: 'TLSv1_1', TLSV1_2: 'TLSv1_2', TLSV1_3: 'TLSv1_3' };

/** A sidecar's inbound mesh mTLS (as istiod's BuildInboundTLS). */
export function meshServerParams(meshMtls: MeshTls | undefined): Json {
  return {
    tls_minimum_protocol_version: meshMtls?.minProtocolVersion === 'TLSV1_3' ? 'TLSv1_3' : 'TLSv1_2',
    tls_maximum_protocol_version: 'TLSv1_3',
    cipher_suites: [...(meshMtls?.cipherSuites ?? MESH_MTLS_CIPHER_SUITES)],
  };
}

/** A client's mesh mTLS. */
export const meshClientParams = (): Json => ({ tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' });

/** A DestinationRule's TLS origination (SIMPLE, MUTUAL), under the mesh config's tlsDefaults. */
export function originationParams(defaults: MeshTls | undefined): Json {
  return {
    ...meshClientParams(),
    ...(defaults?.ecdhCurves ? { ecdh_curves: [...defaults.ecdhCurves] } : {}),
    ...(defaults?.cipherSuites ? { cipher_suites: [...defaults.cipherSuites] } : {}),
  };
}

/** A Gateway server's TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL) under the mesh config's tlsDefaults; undefined when nothing is set. */
export function gatewayServerParams(tls: Json, defaults: MeshTls | undefined): Json | undefined {
  const min = VERSIONS[tls.minProtocolVersion as string] ?? VERSIONS[defaults?.minProtocolVersion ?? ''];
  const max = VERSIONS[tls.maxProtocolVersion as string];
  const own = (list: unknown, valid: (s: string) => boolean): string[] | undefined => {
    const names = usableNames(asArray(list), valid);
    return names.length > 0 ? names : undefined;
  };
  const curves = own(tls.ecdhCurves, isValidEcdhCurve) ?? defaults?.ecdhCurves;
  const ciphers = own(tls.cipherSuites, isValidCipherSuite) ?? defaults?.cipherSuites;
  const out: Json = {
    ...(min ? { tls_minimum_protocol_version: min } : {}),
    ...(max ? { tls_maximum_protocol_version: max } : {}),
    ...(curves ? { ecdh_curves: [...curves] } : {}),
    ...(ciphers ? { cipher_suites: [...ciphers] } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}
