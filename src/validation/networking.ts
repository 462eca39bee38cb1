/** Pieces shared by several networking kinds: destinations, header operations, ports of listeners. */
import { type Issues, type Obj, obj, str, uint32, strMap, strList, entries, each } from './schema.js';
import {
  check,
  isIstioDnsLabel,
  validateWildcardDomain,
  validatePort,
  validateRequestSetHeaderName,
  validateHeaderOperationName,
  validateHeaderValue,
  validatePortName,
  validateProtocol,
} from './common.js';

/** Destination `{host, subset, port: {number}}`. */
export const destinationSchema = obj({ host: str(), subset: str(), port: obj({ number: uint32() }) }, { required: ['host'] });

export function validateSubsetName(name: string): string | undefined {
  if (name === '') return 'subset name cannot be empty';
  return isIstioDnsLabel(name) ? undefined : `subset name "${name}" is invalid (must be a DNS label)`;
}

export function checkDestination(d: Obj | undefined, path: string, issues: Issues): void {
  if (!d) return;
  if (typeof d.host === 'string') {
    if (d.host === '*') issues.error(`${path}.host`, 'invalid destination host *');
    else {
      const e = validateWildcardDomain(d.host);
      if (e) issues.error(`${path}.host`, e);
    }
  }
  if (typeof d.subset === 'string') {
    const e = validateSubsetName(d.subset);
    if (e) issues.error(`${path}.subset`, e);
  }
  if (d.port) {
    if (typeof d.port.number === 'number') {
      const e = validatePort(d.port.number);
      if (e) issues.error(`${path}.port.number`, e);
    } else issues.error(`${path}.port.number`, 'is required when port is set');
  }
}

const headerOps = obj({ set: strMap(), add: strMap(), remove: strList() });
/** Headers `{request: {set, add, remove}, response: {set, add, remove}}`. */
export const headersSchema = obj({ request: headerOps, response: headerOps });

export function checkHeaders(h: Obj | undefined, path: string, issues: Issues): void {
  if (!h) return;
  for (const side of ['request', 'response'] as const) {
    const ops = h[side];
    if (!ops) continue;
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of entries(ops[op])) {
        const p = `${path}.${side}.${op}[${name}]`;
        const en = side === 'request' ? validateRequestSetHeaderName(name) : validateHeaderOperationName(name);
        if (en) issues.error(p, en);
        const ev = validateHeaderValue(value);
        if (ev) issues.error(p, ev);
      }
    }
    each<string>(ops.remove, (name, i) => {
      const e = validateHeaderOperationName(name);
      if (e) issues.error(`${path}.${side}.remove[${i}]`, e);
    });
  }
}

/** Ports of Gateway servers and Sidecar listeners: `{number, name, protocol, targetPort}`. */
export const listenerPortSchema = obj({
  number: uint32(),
  name: str(),
  protocol: str({ check: check(validateProtocol) }),
  targetPort: uint32(),
});

/** Port name (optional) and number rules of Sidecar listeners. */
export function checkListenerPort(port: Obj, path: string, issues: Issues, opts: { allowZero?: boolean } = {}): void {
  if (typeof port.name === 'string' && port.name !== '') {
    const e = validatePortName(port.name);
    if (e) issues.error(`${path}.name`, e);
  }
  if (typeof port.number === 'number' && !(opts.allowZero && port.number === 0)) {
    const e = validatePort(port.number);
    if (e) issues.error(`${path}.number`, e);
  }
  if (typeof port.targetPort === 'number' && port.targetPort > 0) issues.error(`${path}.targetPort`, 'targetPort has no effect here');
}

/** Unix domain socket path after `unix://`: absolute (or abstract `@name`), not a directory. */
export function validateUnixAddress(addr: string): string | undefined {
  if (addr === '') return 'unix address must not be empty';
  if (addr.startsWith('@')) return undefined;
  if (!addr.startsWith('/') || addr.endsWith('/')) return `${addr} is not an absolute path to a file`;
  return undefined;
}
