/** SPIFFE identities of the mesh: what workload certificates carry and peers are checked against. */

/** The identity of a service account: `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`, Istio's form. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export interface SpiffeIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** A service account's identity from its SPIFFE id (Istio's form only; anything else: undefined). */
export function parseSpiffeId(id: string): SpiffeIdentity | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : undefined;
}

/**
 * The SPIFFE identity in a certificate's subjectAltName as Node's TLS prints it (`URI:spiffe://…, DNS:…`); undefined
 * when it carries none or more than one (a workload certificate names exactly one service account).
 */
export function identityOfSubjectAltName(san: string | undefined): SpiffeIdentity | undefined {
  const uris = (san ?? '')
    .split(/,\s*/)
    .filter((e) => e.startsWith('URI:spiffe://'))
    .map((e) => parseSpiffeId(e.slice(4)));
  return uris.length === 1 ? uris[0] : undefined;
}
