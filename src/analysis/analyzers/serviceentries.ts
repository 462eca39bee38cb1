/**
 * ServiceEntry hosts and ports as mizzen serves them (model/serviceentry.ts, model/snapshot.ts):
 *
 * - IST0134: a ServiceEntry without addresses gets none (mizzen allocates none: neither status.addresses nor the
 *   auto-allocation label give it one), so each of its TCP ports (written TCP or unset, as Istio checks; not one
 *   whose name makes it HTTP or TLS for mizzen) is served on 0.0.0.0:<port>, shared by every service without
 *   addresses on that port: the first takes it, and an HTTP service on the port takes it from all of them.
 *   DYNAMIC_DNS entries, which take no TCP port, are left out.
 * - IST0177: ServiceEntries visible together (exportTo, else the mesh's defaultServiceExportTo, narrowed by its
 *   serviceEntryVisibility as the snapshot narrows it) that define one host and port with different protocols (as
 *   mizzen reads a port's protocol: written, else from its name; unknown is TCP). A proxy gets one definition of a
 *   host (xds/gen/host-definitions.ts): a Service of that name, else the oldest ServiceEntry exported to its
 *   namespace by name, else the oldest public one; the others' not at all.
 * Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { scopeOf } from '../export-scope.js';
import { finding, type Finding } from '../finding.js';
import { arr, labelMap, num, rec, str, strs } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';
import { isHttpProtocol, parseProtocol, selectProtocol } from '../../model/protocol.js';
import { entryVisibility, narrowedExportTo } from '../../model/serviceentry-visibility.js';
import type { Protocol } from '../../model/types.js';

/** A ServiceEntry port's protocol as mizzen serves it (model/serviceentry.ts); UNSUPPORTED is proxied as TCP. */
function protocolOf(p: Record<string, unknown>): Protocol {
  const port = num(p.number);
  const explicit = parseProtocol(str(p.protocol));
  const chosen = explicit !== 'UNSUPPORTED' ? explicit : selectProtocol({ name: str(p.name) ?? `port-${port}`, ...(port !== undefined ? { port } : {}) });
  return chosen === 'UNSUPPORTED' ? 'TCP' : chosen;
}

/** IST0134: TCP ports of a ServiceEntry without addresses. */
export function serviceEntryAddresses(w: World): Finding[] {
  const out: Finding[] = [];
  for (const se of w.subjects('ServiceEntry')) {
    const spec = rec(se.spec);
    if (strs(spec.addresses).length > 0 || spec.resolution === 'DYNAMIC_DNS') continue;
    for (const [i, raw] of arr(spec.ports).entries()) {
      const p = rec(raw);
      const written = str(p.protocol) ?? '';
      const port = num(p.number);
      if (port === undefined || (written !== '' && written.toUpperCase() !== 'TCP')) continue;
      const served = protocolOf(p);
      if (isHttpProtocol(served) || served === 'TLS' || served === 'HTTPS' || served === 'UDP') continue;
      out.push(
        finding(
          'IST0134',
          se,
          `This ServiceEntry has no addresses and mizzen allocates none, so its TCP port ${port} is served on 0.0.0.0:${port}, shared with every other service without addresses on that port: only the first of them gets the traffic, and none does if an HTTP service uses the port (set spec.addresses)`,
          `spec.ports[${i}]`,
        ),
      );
    }
  }
  return out;
}

/** The labels of the world's Namespace objects, by name. */
function namespaceLabels(w: World): ReadonlyMap<string, Record<string, string>> {
  return (w.memo.namespaceLabels ??= new Map(w.core('Namespace').map((o) => [nameOf(o), labelMap(o.metadata.labels)]))) as ReadonlyMap<string, Record<string, string>>;
}

/** A ServiceEntry's exportTo as the snapshot serves it (model/serviceentry-visibility.ts); undefined: hidden by the mesh's visibility. */
function servedExportTo(w: World, se: KubeObject): string[] | undefined {
  const written = strs(rec(se.spec).exportTo);
  const { visibility, defaults } = w.serviceExports;
  if (!visibility) return written;
  return narrowedExportTo(entryVisibility(visibility, nsOf(se), namespaceLabels(w).get(nsOf(se)) ?? {}), nsOf(se), written, defaults);
}

/** Where a ServiceEntry is visible: `*` (every namespace) or the namespaces it names (`.`: its own); none when hidden. */
function scopes(w: World, se: KubeObject): string[] {
  const served = servedExportTo(w, se);
  if (!served) return [];
  const scope = scopeOf(served.length > 0 ? served : (w.serviceExports.defaults ?? []), nsOf(se));
  return scope === '*' ? ['*'] : [...scope];
}

interface Definition {
  se: KubeObject;
  protocol: Protocol;
  /** Where the port is in the ServiceEntry's spec.ports. */
  index: number;
}

const keyOf = (o: KubeObject): string => `${nsOf(o)}/${nameOf(o)}`;

/** Creation order, then namespace/name: the order in which mizzen takes a host's first definition (compareConfigs). */
function configOrder(w: World): (a: KubeObject, b: KubeObject) => number {
  const created = (o: KubeObject): string => str(o.metadata.creationTimestamp) ?? (o === w.focus ? '~' : '');
  return (a, b) => (created(a) !== created(b) ? (created(a) < created(b) ? -1 : 1) : keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);
}

/** IST0177: one host and port defined with different protocols by ServiceEntries visible together. */
export function conflictingServiceEntryProtocols(w: World): Finding[] {
  const subjects = w.subjects('ServiceEntry');
  if (subjects.length === 0) return [];
  const reported = new Set(subjects);
  // The object applied takes its stored version's place.
  const all = w.focus ? [...w.istio('ServiceEntry').filter((o) => keyOf(o) !== keyOf(w.focus!)), ...subjects] : w.istio('ServiceEntry');
  // scope, host, port → the definitions
  const index = new Map<string, Definition[]>();
  for (const se of all) {
    for (const scope of scopes(w, se)) {
      for (const host of new Set(strs(rec(se.spec).hosts))) {
        for (const [i, raw] of arr(rec(se.spec).ports).entries()) {
          const port = num(rec(raw).number);
          if (port === undefined) continue;
          const k = `${scope}\u0000${host}\u0000${port}`;
          index.set(k, [...(index.get(k) ?? []), { se, protocol: protocolOf(rec(raw)), index: i }]);
        }
      }
    }
  }
  const out: Finding[] = [];
  const said = new Set<string>();
  for (const [k, defs] of index) {
    const [scope, host, port] = k.split('\u0000') as [string, string, string];
    const together = scope === '*' ? defs : [...defs, ...(index.get(`*\u0000${host}\u0000${port}`) ?? [])];
    const protocols = [...new Set(together.map((d) => d.protocol))].sort();
    if (protocols.length < 2) continue;
    const names = [...new Set(together.map((d) => keyOf(d.se)))].sort();
    // Several documents of one ServiceEntry are one resource (MZ0001), not a conflict.
    if (names.length < 2) continue;
    for (const d of together) {
      const id = `${keyOf(d.se)}\u0000${host}\u0000${port}`;
      if (!reported.has(d.se) || said.has(id)) continue;
      said.add(id);
      out.push(finding('IST0177', d.se, `ServiceEntries ${names.join(', ')} define host "${host}" port ${port} with different protocols (${protocols.join(', ')}): ${servedBy(w, all, host)}`, `spec.ports[${d.index}]`));
    }
  }
  return out;
}

/** What serves a host where these are seen together: a Service of that name, else (alike exported) the oldest ServiceEntry. */
function servedBy(w: World, all: readonly KubeObject[], host: string): string {
  const svc = w.lookupHost(host).find((e) => e.kind === 'Service' && e.host === host);
  if (svc) return `mizzen serves the host as the Service ${keyOf(svc.object)} defines it wherever that Service is visible, and none of these definitions there`;
  const first = all.filter((o) => strs(rec(o.spec).hosts).includes(host) && servedExportTo(w, o)).sort(configOrder(w))[0]!;
  return `a proxy that sees several gets one definition, the oldest, ${keyOf(first)}, unless another is exported to its namespace by name, and the others' not at all (use one protocol, or one ServiceEntry for the host)`;
}
