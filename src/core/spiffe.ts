/** SPIFFE identities of the mesh: what workload certificates carry and peers are checked against. */

/** The identity of a service account: `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`, Istio's form. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
