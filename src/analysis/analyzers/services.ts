/**
 * Service port names: Istio picks a port's protocol from `appProtocol` or from the name's prefix
 * (`http`, `http-web`, `grpc-api`, ...). Anything else falls back to protocol sniffing (IST0118, Info); on an
 * ExternalName Service, which has no cluster IP, to TCP on a listener shared by every service of that port
 * (IST0150, also for a port named plain `tcp`, as Istio reports it).
 */
import { SYSTEM_NAMESPACES } from '../../core/constants.js';
import { finding, type Finding } from '../finding.js';
import { arr, num, rec, str } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

/** Protocols a port name may start with (compared case-insensitively, then end or `-suffix`). */
export const PORT_NAME_PROTOCOLS: readonly string[] = ['http', 'http2', 'https', 'http_proxy', 'grpc', 'grpc-web', 'tcp', 'tls', 'mongo', 'mysql', 'redis', 'udp'];

/** appProtocol values Istio understands. */
export const APP_PROTOCOLS: readonly string[] = [...PORT_NAME_PROTOCOLS, 'kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss'];

export function portNameHasProtocol(name: string): boolean {
  const n = name.toLowerCase();
  return PORT_NAME_PROTOCOLS.some((p) => n === p || n.startsWith(`${p}-`));
}

export function servicePortNames(w: World): Finding[] {
  const out: Finding[] = [];
  for (const svc of w.coreSubjects('Service')) {
    if (svc.apiVersion !== 'v1' || SYSTEM_NAMESPACES.includes(nsOf(svc))) continue;
    for (const [i, p] of arr(rec(svc.spec).ports).entries()) {
      const port = rec(p);
      const proto = (str(port.protocol) ?? 'TCP').toUpperCase();
      if (proto === 'UDP' || proto === 'SCTP') continue;
      const app = str(port.appProtocol)?.toLowerCase();
      if (app && APP_PROTOCOLS.includes(app)) continue;
      const name = str(port.name) ?? '';
      const externalName = rec(svc.spec).type === 'ExternalName';
      if (externalName && (!portNameHasProtocol(name) || name.toLowerCase() === 'tcp')) {
        const p = num(port.port) ?? '?';
        out.push(
          finding(
            'IST0150',
            svc,
            `Port "${name}" (${p}) of ExternalName Service ${nameOf(svc)} is ${name.toLowerCase() === 'tcp' ? 'TCP' : 'of no protocol (no protocol prefix, no appProtocol), so TCP'}: without a cluster IP, its clients' sidecars serve it on the 0.0.0.0:${p} listener they share, which sends every TCP connection to port ${p} that no other service claims to ${str(rec(svc.spec).externalName) ?? 'the external name'}. Name it with its protocol (http-, https-, tls-...) or set appProtocol`,
            `spec.ports[${i}].name`,
          ),
        );
        continue;
      }
      if (portNameHasProtocol(name)) continue;
      const target = port.targetPort === undefined ? String(num(port.port) ?? '') : String(port.targetPort);
      // Clients sniff on a listener of the service's own address; a headless service has none, so they proxy TCP.
      const headless = rec(svc.spec).clusterIP === 'None';
      out.push(
        finding(
          'IST0118',
          svc,
          `Port name "${name}" (port: ${num(port.port) ?? '?'}, targetPort: ${target}) of Service ${nameOf(svc)} does not start with a protocol (http-, grpc-, tcp-, ...) and has no appProtocol; ${headless ? 'the service is headless, so its clients proxy the port as TCP (no HTTP routing); the workloads behind it sniff' : 'the protocol will be sniffed'}`,
          `spec.ports[${i}].name`,
        ),
      );
    }
  }
  return out;
}
