/**
 * Who a proxy on xDS over TLS proved to be. The TLS port asks for a client certificate signed by the mesh CA but
 * does not require one (sidecars dial it without): a verified certificate's SPIFFE identity becomes the proxy's
 * `identity`, which must then name the proxy's own namespace and the mesh's trust domain, as istiod checks a
 * proxy's identities against the namespace it claims.
 */
import * as grpc from '@grpc/grpc-js';
import { identityOfSubjectAltName, spiffeId, type SpiffeIdentity } from '../../core/spiffe.js';
import type { Proxy } from '../../model/proxy.js';

/**
 * Server credentials of a TLS port: the serving pair, and with `clientCa` a client certificate asked for and checked
 * against it. grpc-js asks with `requestCert` only together with Node's default `rejectUnauthorized` (a client
 * without a certificate would be refused), so the server options are widened to let such clients in unidentified.
 */
export function serverTls(tls: { cert: string; key: string; clientCa?: string }): grpc.ServerCredentials {
  const pair = [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }];
  if (!tls.clientCa) return grpc.ServerCredentials.createSsl(null, pair, false);
  const creds = grpc.ServerCredentials.createSsl(Buffer.from(tls.clientCa), pair, true);
  const c = creds as unknown as { _getConstructorOptions?: () => object };
  const own = c._getConstructorOptions;
  if (typeof own === 'function') c._getConstructorOptions = () => ({ ...own.call(creds), rejectUnauthorized: false });
  return creds;
}

/**
 * Installs a new serving pair and client CA on credentials that serverTls made: grpc-js hands them to every port
 * bound with them (new handshakes use them; connections up stay as they are).
 */
export function updateServerTls(creds: grpc.ServerCredentials, tls: { cert: string; key: string; clientCa?: string }): void {
  const update = (creds as unknown as { updateSecureContextOptions?: (o: object) => void }).updateSecureContextOptions;
  if (typeof update !== 'function') throw new Error('this @grpc/grpc-js cannot change server credentials in place');
  update.call(creds, { ...(tls.clientCa ? { ca: Buffer.from(tls.clientCa) } : {}), cert: [Buffer.from(tls.cert)], key: [Buffer.from(tls.key)] });
}

interface AuthContextCall {
  getAuthContext?: () => { sslPeerCertificate?: { subjectaltname?: string } } | null;
}

/** The identity of the stream's verified client certificate (grpc-js reports only authorized ones). */
export function peerIdentity(call: unknown): SpiffeIdentity | undefined {
  try {
    const auth = (call as AuthContextCall).getAuthContext?.();
    return identityOfSubjectAltName(auth?.sslPeerCertificate?.subjectaltname);
  } catch {
    return undefined;
  }
}

/** Why a proxy's proven identity does not let it be the proxy it claims (undefined: it does, or it proved none). */
export function identityRefusal(proxy: Proxy, trustDomain: string): string | undefined {
  const id = proxy.identity;
  if (!id) return undefined;
  const shown = spiffeId(id.trustDomain, id.namespace, id.serviceAccount);
  if (id.trustDomain !== trustDomain) return `client certificate ${shown} is not of the mesh's trust domain ${trustDomain}`;
  if (id.namespace !== proxy.namespace) return `client certificate ${shown} is for namespace ${id.namespace}, but node ${proxy.id} is in namespace ${proxy.namespace}`;
  return undefined;
}

