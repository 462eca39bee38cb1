/**
 * Namespaces named in references (`ns/name` gateways, `ns/host` hosts, exportTo, FQDN hosts, policy sources)
 * that do not exist. Only judged when the input declares Namespace objects; a namespace also exists when an
 * object of the input lives in it, and the built-in ones (default, kube-system, ...) always do.
 */
import type { KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import { hostNamespace, parseGatewayRef } from '../hosts.js';
import { arr, rec, str, strs } from '../shape.js';
import { nsOf, type World } from '../world.js';
import { destinations, gatewayRefs } from './virtualservice.js';

interface NsRef {
  namespace: string;
  path: string;
}

const SPECIAL = new Set(['*', '.', '~', '']);

function exportTo(spec: Record<string, unknown>): NsRef[] {
  return strs(spec.exportTo).map((ns, i) => ({ namespace: ns, path: `spec.exportTo[${i}]` }));
}

/** `ns/host` entries (Sidecar egress, Gateway servers). */
function scopedHosts(list: unknown, base: string): NsRef[] {
  const out: NsRef[] = [];
  for (const [j, h] of strs(list).entries()) {
    const slash = h.indexOf('/');
    if (slash > 0) out.push({ namespace: h.slice(0, slash), path: `${base}.hosts[${j}]` });
  }
  return out;
}

function fqdnRef(w: World, host: string | undefined, ns: string, path: string): NsRef[] {
  if (!host) return [];
  const hostNs = hostNamespace(w.resolve(host, ns), w.domainSuffix);
  return hostNs ? [{ namespace: hostNs, path }] : [];
}

function references(w: World, o: KubeObject): NsRef[] {
  const spec = rec(o.spec);
  const ns = nsOf(o);
  switch (o.kind) {
    case 'VirtualService': {
      const refs = exportTo(spec);
      for (const { path, ref } of gatewayRefs(o)) {
        const g = parseGatewayRef(ref, ns);
        if (!g.mesh) refs.push({ namespace: g.namespace, path });
      }
      for (const d of destinations(o)) refs.push(...fqdnRef(w, str(d.dest.host), ns, `${d.path}.host`));
      for (const [i, rule] of arr(spec.http).entries()) {
        const dns = str(rec(rec(rule).delegate).namespace);
        if (dns) refs.push({ namespace: dns, path: `spec.http[${i}].delegate.namespace` });
      }
      return refs;
    }
    case 'DestinationRule':
      return [...exportTo(spec), ...fqdnRef(w, str(spec.host), ns, 'spec.host')];
    case 'ServiceEntry':
      return exportTo(spec);
    case 'Sidecar':
      return arr(spec.egress).flatMap((e, i) => scopedHosts(rec(e).hosts, `spec.egress[${i}]`));
    case 'Gateway':
      return arr(spec.servers).flatMap((s, i) => scopedHosts(rec(s).hosts, `spec.servers[${i}]`));
    case 'AuthorizationPolicy': {
      const refs: NsRef[] = [];
      for (const [i, rule] of arr(spec.rules).entries()) {
        for (const [j, from] of arr(rec(rule).from).entries()) {
          const source = rec(rec(from).source);
          for (const field of ['namespaces', 'notNamespaces']) {
            for (const [k, n] of strs(source[field]).entries()) {
              if (!n.includes('*')) refs.push({ namespace: n, path: `spec.rules[${i}].from[${j}].source.${field}[${k}]` });
            }
          }
        }
      }
      return refs;
    }
    default:
      return [];
  }
}

const KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar', 'Gateway', 'AuthorizationPolicy'];

export function missingNamespaces(w: World): Finding[] {
  if (w.declaredNamespaces.size === 0) return [];
  const out: Finding[] = [];
  for (const kind of KINDS) {
    for (const o of w.subjects(kind)) {
      for (const r of references(w, o)) {
        if (SPECIAL.has(r.namespace) || w.namespaceExists(r.namespace)) continue;
        out.push(finding('MZ0002', o, `Referenced namespace "${r.namespace}" does not exist: no Namespace object declares it and no object of the input lives in it`, r.path));
      }
    }
  }
  return out;
}
