/**
 * Kubernetes Ingresses (networking.k8s.io) that mizzen serves, those of Istio's class under the mesh config's
 * ingress fields (model/ingress.ts), checked as the conversion reads them:
 * - a path's backend Service that the input lacks, or a port (by number or name) it does not expose: IST0101
 *   (MZ0003 where the input has no Services in the Ingress's namespace);
 * - what mizzen leaves out, as Istio does (MZ0023): the default backend, a rule without http, a resource backend,
 *   a backend with neither a port number nor a name, a tls entry without secretName; and a tls Secret that the
 *   input holds in the Ingress's namespace but not in istio-system, where the gateway reads it.
 * Malformed shapes give fewer findings, never a throw.
 */
import type { KubeObject } from '../../core/kube.js';
import { INGRESS_NAMESPACE, isIstioIngress } from '../../model/ingress.js';
import { finding, type Finding } from '../finding.js';
import { arr, labelMap, num, rec, str, type Rec } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

const isIngressObject = (o: KubeObject): boolean => typeof o.apiVersion === 'string' && o.apiVersion.startsWith('networking.k8s.io/');

/** IngressClass controllers by name, from the input. */
function controllers(w: World): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of w.core('IngressClass').filter(isIngressObject)) out.set(nameOf(c), str(rec(c.spec).controller) ?? '');
  return out;
}

/** The findings of one path's (or the default) backend at `path`. */
function checkBackend(w: World, ingress: KubeObject, backend: Rec, path: string): Finding[] {
  if (backend.service === undefined) {
    const what = backend.resource !== undefined ? 'a resource backend' : 'no backend service';
    return [finding('MZ0023', ingress, `This path is not served: ${what} (only Services are routed to)`, path)];
  }
  const svc = rec(backend.service);
  const name = str(svc.name);
  if (!name) return []; // the schema's business
  const ns = nsOf(ingress);
  const host = `${name.toLowerCase()}.${ns}.svc.${w.domainSuffix}`;
  const port = rec(svc.port);
  const number = num(port.number);
  const portName = str(port.name);
  if ((number === undefined || number <= 0) && !portName) return [finding('MZ0023', ingress, `This path is not served: service "${name}" has no port number or name`, `${path}.service.port`)];
  const services = w.lookupHost(host).filter((e) => e.kind === 'Service' && e.host === host);
  if (services.length === 0) {
    if (!w.hasServicesIn(ns)) return [finding('MZ0003', ingress, `Referenced backend Service not found: "${ns}/${name}"; the input has no Services in namespace "${ns}" to check it against`, `${path}.service.name`)];
    return [finding('IST0101', ingress, `Referenced backend Service not found: "${ns}/${name}"`, `${path}.service.name`)];
  }
  const svcObj = services[0]!.object;
  if (number !== undefined && number > 0) {
    return services[0]!.ports.includes(number) ? [] : [finding('IST0101', ingress, `Referenced backend port not found: Service "${ns}/${name}" has no port ${number}`, `${path}.service.port.number`)];
  }
  const names = arr(rec(svcObj.spec).ports).map((p) => str(rec(p).name));
  return names.includes(portName) ? [] : [finding('IST0101', ingress, `Referenced backend port not found: Service "${ns}/${name}" has no port named "${portName}"; this path is not served`, `${path}.service.port.name`)];
}

/** MZ0023 for a tls Secret the input holds beside the Ingress but not in istio-system, where the gateway reads it. */
function misplacedSecret(w: World, ingress: KubeObject, secret: string, path: string): Finding[] {
  const secrets = w.core('Secret').filter((s) => s.apiVersion === 'v1' && nameOf(s) === secret);
  const ns = nsOf(ingress);
  if (ns === INGRESS_NAMESPACE || !secrets.some((s) => nsOf(s) === ns) || secrets.some((s) => nsOf(s) === INGRESS_NAMESPACE)) return [];
  return [finding('MZ0023', ingress, `Secret "${secret}" is in namespace "${ns}", but the ingress gateway reads it from "${INGRESS_NAMESPACE}", as Istio does: copy it there, or HTTPS on 443 has no certificate`, path)];
}

export function ingresses(w: World): Finding[] {
  const subjects = w.coreSubjects('Ingress').filter(isIngressObject);
  if (subjects.length === 0) return [];
  const classes = controllers(w);
  const out: Finding[] = [];
  for (const ingress of subjects) {
    const spec = rec(ingress.spec);
    if (!isIstioIngress({ annotations: labelMap(ingress.metadata.annotations), spec }, classes, w.ingress)) continue;
    if (spec.defaultBackend !== undefined) out.push(finding('MZ0023', ingress, 'The default backend is not served (Istio ignores it too): route every other path with a rule of host "*" and path "/" instead', 'spec.defaultBackend'));
    for (const [i, raw] of arr(spec.rules).entries()) {
      const rule = rec(raw);
      if (rule.http === undefined || rule.http === null) {
        out.push(finding('MZ0023', ingress, 'This rule has no http paths: it is not served', `spec.rules[${i}]`));
        continue;
      }
      for (const [j, p] of arr(rec(rule.http).paths).entries()) out.push(...checkBackend(w, ingress, rec(rec(p).backend), `spec.rules[${i}].http.paths[${j}].backend`));
    }
    for (const [i, raw] of arr(spec.tls).entries()) {
      const secret = str(rec(raw).secretName);
      if (!secret) out.push(finding('MZ0023', ingress, 'This tls entry has no secretName: no HTTPS server is made for it', `spec.tls[${i}]`));
      else out.push(...misplacedSecret(w, ingress, secret, `spec.tls[${i}].secretName`));
    }
  }
  return out;
}
