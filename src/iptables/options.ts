/**
 * The flags of `mizzen iptables`, which are Istio's istio-iptables flags, so an
 * injected `istio-init` container reads the same on both. Pure: argv in, options or
 * errors naming the flag out.
 *
 * | flag | long form | meaning | default |
 * | --- | --- | --- | --- |
 * | -p | --envoy-port | outbound capture port | 15001 |
 * | -z | --inbound-capture-port | inbound capture port | 15006 |
 * | -u | --proxy-uid | uid(s) whose traffic is never redirected | 1337 |
 * | -g | --proxy-gid | gid(s) whose traffic is never redirected | same as -u |
 * | -m | --istio-inbound-interception-mode | REDIRECT (TPROXY is refused) | REDIRECT |
 * | -i | --istio-service-cidr | outbound ranges to redirect: '*' or CIDR list; empty = none | '' |
 * | -x | --istio-service-exclude-cidr | outbound ranges never redirected | '' |
 * | -b | --istio-inbound-ports | inbound ports to redirect: '*' or list; empty = none | '' |
 * | -d | --istio-local-exclude-ports | inbound ports never redirected | '' |
 * | -o | --istio-local-outbound-ports-exclude | outbound ports never redirected | '' |
 * | -q | --istio-include-outbound-ports | outbound ports always redirected, whatever the range | '' |
 * | -c | --exclude-interfaces | interfaces whose traffic is never redirected | '' |
 * | -n | --dry-run | print the iptables-restore input, change nothing | |
 * |    | --ipv6 | also build (and apply) the ip6tables rules | off, on when a v6 CIDR is given |
 */
import { isIPv4, isIPv6 } from 'node:net';
import { type Result, ok, fail } from '../core/result.js';
import { Ports, PROXY_UID } from '../core/constants.js';

export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

export type Wildcard = '*';

export interface IptablesOptions {
  proxyOutboundPort: number;
  proxyInboundPort: number;
  proxyUids: number[];
  proxyGids: number[];
  mode: 'REDIRECT';
  includeOutboundRanges: Wildcard | Cidr[];
  excludeOutboundRanges: Cidr[];
  includeInboundPorts: Wildcard | number[];
  excludeInboundPorts: number[];
  excludeOutboundPorts: number[];
  includeOutboundPorts: number[];
  excludeInterfaces: string[];
  dryRun: boolean;
  ipv6: boolean;
}

/** Every flag: short letter (Istio's), long name, whether it takes a value. Order is the help order. */
export const FLAGS = {
  'envoy-port': { short: 'p', type: 'string' },
  'inbound-capture-port': { short: 'z', type: 'string' },
  'proxy-uid': { short: 'u', type: 'string' },
  'proxy-gid': { short: 'g', type: 'string' },
  'istio-inbound-interception-mode': { short: 'm', type: 'string' },
  'istio-service-cidr': { short: 'i', type: 'string' },
  'istio-service-exclude-cidr': { short: 'x', type: 'string' },
  'istio-inbound-ports': { short: 'b', type: 'string' },
  'istio-local-exclude-ports': { short: 'd', type: 'string' },
  'istio-local-outbound-ports-exclude': { short: 'o', type: 'string' },
  'istio-include-outbound-ports': { short: 'q', type: 'string' },
  'exclude-interfaces': { short: 'c', type: 'string' },
  'dry-run': { short: 'n', type: 'boolean' },
  ipv6: { type: 'boolean' },
} as const;

export type FlagName = keyof typeof FLAGS;
export type FlagValues = Partial<Record<FlagName, string | boolean | undefined>>;

/** "-i (--istio-service-cidr)": how errors name a flag, so either spelling is recognisable. */
export function flagLabel(name: FlagName): string {
  const f = FLAGS[name] as { short?: string };
  return f.short ? `-${f.short} (--${name})` : `--${name}`;
}

const split = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

const INTEGER = /^[0-9]+$/;

export function parsePort(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128). */
export function parseCidr(text: string): Result<Cidr> {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0) return fail(`"${text}" is not an IP address or CIDR`);
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return ok({ family, address, prefix: max });
  const p = text.slice(slash + 1);
  if (!INTEGER.test(p) || Number(p) > max) return fail(`"${text}": prefix length must be 0-${max}`);
  return ok({ family, address, prefix: Number(p) });
}

export const cidrText = (c: Cidr): string => `${c.address}/${c.prefix}`;

function ports(name: FlagName, raw: string | undefined, errors: string[]): number[] {
  const out: number[] = [];
  for (const item of split(raw ?? '')) {
    const p = parsePort(item);
    if (p === undefined) errors.push(`${flagLabel(name)}: "${item}" is not a port (1-65535)`);
    else if (!out.includes(p)) out.push(p);
  }
  return out;
}

function portsOrWildcard(name: FlagName, raw: string | undefined, errors: string[]): Wildcard | number[] {
  return (raw ?? '').trim() === '*' ? '*' : ports(name, raw, errors);
}

function cidrs(name: FlagName, raw: string | undefined, errors: string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const item of split(raw ?? '')) {
    const r = parseCidr(item);
    if (r.ok) out.push(r.value);
    else errors.push(`${flagLabel(name)}: ${r.errors.join('; ')}`);
  }
  return out;
}

function cidrsOrWildcard(name: FlagName, raw: string | undefined, errors: string[]): Wildcard | Cidr[] {
  return (raw ?? '').trim() === '*' ? '*' : cidrs(name, raw, errors);
}

function ids(name: FlagName, raw: string, errors: string[]): number[] {
  const out: number[] = [];
  const items = split(raw);
  if (items.length === 0) errors.push(`${flagLabel(name)}: must name at least one id`);
  for (const item of items) {
    if (!INTEGER.test(item) || Number(item) > 0xffffffff) errors.push(`${flagLabel(name)}: "${item}" is not a numeric id`);
    else if (!out.includes(Number(item))) out.push(Number(item));
  }
  return out;
}

function singlePort(name: FlagName, raw: string | undefined, def: number, errors: string[]): number {
  if (raw === undefined) return def;
  const p = parsePort(raw.trim());
  if (p === undefined) errors.push(`${flagLabel(name)}: "${raw}" is not a port (1-65535)`);
  return p ?? def;
}

/** pilot-agent's port in Istio; Istio's injector excludes it from inbound capture, and so do we. */
export const ISTIO_AGENT_PORT = 15020;

const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** Turns parsed flag values (from node's parseArgs, long names as keys) into checked options. */
export function resolveOptions(v: FlagValues): Result<IptablesOptions> {
  const errors: string[] = [];
  const str = (n: FlagName): string | undefined => (typeof v[n] === 'string' ? (v[n] as string) : undefined);

  const mode = (str('istio-inbound-interception-mode') ?? 'REDIRECT').trim();
  if (mode === 'TPROXY') errors.push(`${flagLabel('istio-inbound-interception-mode')}: TPROXY is not supported by mizzen; use REDIRECT`);
  else if (mode !== 'REDIRECT') errors.push(`${flagLabel('istio-inbound-interception-mode')}: "${mode}" must be REDIRECT (or TPROXY, which mizzen does not support)`);

  const uids = ids('proxy-uid', str('proxy-uid') ?? String(PROXY_UID), errors);
  const gidRaw = str('proxy-gid');
  const gids = gidRaw === undefined ? [...uids] : ids('proxy-gid', gidRaw, errors);

  const excludeInterfaces = split(str('exclude-interfaces') ?? '');
  for (const i of excludeInterfaces) if (!INTERFACE.test(i)) errors.push(`${flagLabel('exclude-interfaces')}: "${i}" is not an interface name`);

  const opts: IptablesOptions = {
    proxyOutboundPort: singlePort('envoy-port', str('envoy-port'), Ports.proxyOutbound, errors),
    proxyInboundPort: singlePort('inbound-capture-port', str('inbound-capture-port'), Ports.proxyInbound, errors),
    proxyUids: uids,
    proxyGids: gids,
    mode: 'REDIRECT',
    includeOutboundRanges: cidrsOrWildcard('istio-service-cidr', str('istio-service-cidr'), errors),
    excludeOutboundRanges: cidrs('istio-service-exclude-cidr', str('istio-service-exclude-cidr'), errors),
    includeInboundPorts: portsOrWildcard('istio-inbound-ports', str('istio-inbound-ports'), errors),
    excludeInboundPorts: ports('istio-local-exclude-ports', str('istio-local-exclude-ports'), errors),
    excludeOutboundPorts: ports('istio-local-outbound-ports-exclude', str('istio-local-outbound-ports-exclude'), errors),
    includeOutboundPorts: ports('istio-include-outbound-ports', str('istio-include-outbound-ports'), errors),
    excludeInterfaces,
    dryRun: v['dry-run'] === true,
    ipv6: v.ipv6 === true,
  };
  if (errors.length > 0) return fail(...errors);
  const anyV6 = [opts.includeOutboundRanges, opts.excludeOutboundRanges].some((l) => l !== '*' && l.some((c) => c.family === 6));
  if (anyV6) opts.ipv6 = true;
  return ok(opts);
}

/** Options as the injector would pass them for a plain pod (Istio's defaults), for tests and docs. */
export function defaultOptions(overrides: Partial<IptablesOptions> = {}): IptablesOptions {
  return {
    proxyOutboundPort: Ports.proxyOutbound,
    proxyInboundPort: Ports.proxyInbound,
    proxyUids: [PROXY_UID],
    proxyGids: [PROXY_UID],
    mode: 'REDIRECT',
    includeOutboundRanges: '*',
    excludeOutboundRanges: [],
    includeInboundPorts: '*',
    excludeInboundPorts: [Ports.proxyStats, Ports.proxyHealth, ISTIO_AGENT_PORT],
    excludeOutboundPorts: [],
    includeOutboundPorts: [],
    excludeInterfaces: [],
    dryRun: false,
    ipv6: false,
    ...overrides,
  };
}
