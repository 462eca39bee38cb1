/**
 * AuthorizationPolicies with action CUSTOM, checked where the mesh config is known (the webhook, `mizzen analyze
 * --mesh-config`): the provider they name must be an envoyExtAuthzHttp / envoyExtAuthzGrpc entry of the mesh
 * config (MZ0010), and its service and port must be served by a Service or ServiceEntry (MZ0011). Either way, the
 * proxies deny the requests such a policy matches (xds/gen/ext-authz.ts), which its author did not mean.
 */
import { finding, type Finding } from '../finding.js';
import { rec, str } from '../shape.js';
import { nsOf, type World } from '../world.js';
import { resolveServiceRef } from '../../model/hosts.js';

export function customAuthorizationProviders(w: World): Finding[] {
  const providers = w.authzProviders;
  if (!providers) return [];
  const out: Finding[] = [];
  for (const p of w.subjects('AuthorizationPolicy')) {
    const spec = rec(p.spec);
    if (spec.action !== 'CUSTOM') continue;
    const name = str(rec(spec.provider).name);
    if (name === undefined) continue; // validation requires it
    const provider = providers.get(name);
    if (!provider) {
      const known = [...providers.keys()].sort();
      out.push(
        finding(
          'MZ0010',
          p,
          `The mesh config has no envoyExtAuthzHttp or envoyExtAuthzGrpc provider named "${name}" (${known.length ? `it has ${known.join(', ')}` : 'it has none'}): the requests this policy matches are denied`,
          'spec.provider.name',
        ),
      );
      continue;
    }
    // As the generator resolves it (serviceCluster): `namespace/host`, or a host in the policy's namespace.
    const host = resolveServiceRef(provider.service, nsOf(p), w.domainSuffix);
    if (w.serves(host, provider.port)) continue;
    out.push(
      finding(
        'MZ0011',
        p,
        `No Service or ServiceEntry serves ${host}:${provider.port}, the authorization service of provider "${name}": the requests this policy matches are denied`,
        'spec.provider.name',
      ),
    );
  }
  return out;
}
