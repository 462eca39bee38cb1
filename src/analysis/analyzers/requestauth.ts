/**
 * Where a RequestAuthentication's keys come from: Envoy fetches a `jwksUri` itself, through the cluster of the
 * Service or ServiceEntry with exactly that host and port (xds/gen/jwt.ts). A URI no such entry serves gives the
 * proxies a key set nothing verifies, so every token of that issuer is refused: say so where it is written.
 */
import { finding, type Finding } from '../finding.js';
import { arr, rec, str } from '../shape.js';
import type { World } from '../world.js';
import { jwksAddress } from '../../validation/requestauthentication.js';

export function requestAuthenticationKeys(w: World): Finding[] {
  const out: Finding[] = [];
  for (const ra of w.subjects('RequestAuthentication')) {
    for (const [i, rule] of arr(rec(ra.spec).jwtRules).entries()) {
      const r = rec(rule);
      if (str(r.jwks)) continue;
      const uri = str(r.jwksUri) ?? str(r.jwks_uri);
      if (!uri) continue;
      const at = jwksAddress(uri);
      if (!at) continue; // a malformed URI is the validators' business
      const { host, port } = at;
      if (w.lookupHost(host).some((e) => e.host === host && e.ports.includes(port))) continue;
      const field = r.jwksUri !== undefined ? 'jwksUri' : 'jwks_uri';
      out.push(
        finding(
          'MZ0006',
          ra,
          `No Service or ServiceEntry serves ${host}:${port}: Envoy fetches these keys through the mesh and cannot, so tokens of this issuer are refused (add a ServiceEntry for the host, with a DestinationRule tls SIMPLE for https, or give jwks inline)`,
          `spec.jwtRules[${i}].${field}`,
        ),
      );
    }
  }
  return out;
}
