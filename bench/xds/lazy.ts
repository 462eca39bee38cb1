/**
 * Lazy reading of DiscoveryResponses for the simulated proxies: only the top-level fields (version, type,
 * nonce) are read per message; resources stay bytes. What a proxy must know from them to subscribe further
 * (EDS names from CDS, RDS names from LDS) is decoded once per distinct response version and shared.
 */
import { decode } from '../../src/xds/proto.js';
import { TypeUrls } from '../../src/core/constants.js';

export interface LazyResponse {
  version: string;
  typeUrl: string;
  nonce: string;
  /** The whole message; its resources (encoded Any) are read only when needed (resourcesOf). */
  buf: Buffer;
  bytes: number;
}

/** Where the last varint() stopped (a cursor, so reading a varint allocates nothing). */
let cursor = 0;

function varint(buf: Buffer, pos: number): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      cursor = pos;
      return result;
    }
    mul *= 128;
  }
}

/**
 * Reads the top-level fields of a DiscoveryResponse (1 version_info, 2 resources, 4 type_url, 5 nonce): the
 * resources are stepped over (their keys and lengths read), not sliced, as Envoy would hand them to its parser.
 */
export function readResponse(buf: Buffer): LazyResponse {
  const out: LazyResponse = { version: '', typeUrl: '', nonce: '', buf, bytes: buf.length };
  let pos = 0;
  while (pos < buf.length) {
    const key = varint(buf, pos);
    pos = cursor;
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      varint(buf, pos);
      pos = cursor;
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire}`);
    const len = varint(buf, pos);
    const start = cursor;
    pos = start + len;
    if (field === 1) out.version = buf.toString('utf8', start, pos);
    else if (field === 4) out.typeUrl = buf.toString('utf8', start, pos);
    else if (field === 5) out.nonce = buf.toString('utf8', start, pos);
  }
  return out;
}

/** The resources (encoded Any) of a response. */
export function resourcesOf(r: LazyResponse): Buffer[] {
  const out: Buffer[] = [];
  const buf = r.buf;
  let pos = 0;
  while (pos < buf.length) {
    const key = varint(buf, pos);
    pos = cursor;
    if ((key & 7) === 0) {
      varint(buf, pos);
      pos = cursor;
      continue;
    }
    const len = varint(buf, pos);
    const start = cursor;
    pos = start + len;
    if (key >>> 3 === 2) out.push(buf.subarray(start, pos));
  }
  return out;
}

const derived = new Map<string, string[]>();
export let decodes = 0;

function collect(v: unknown, key: string, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) collect(x, key, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.add(x);
      else collect(x, key, out);
    }
  }
}

/** The names a response makes the proxy subscribe to next: EDS clusters from CDS, route configs from LDS. */
export function followUpNames(r: LazyResponse): string[] | undefined {
  if (r.typeUrl !== TypeUrls.cluster && r.typeUrl !== TypeUrls.listener) return undefined;
  const key = `${r.typeUrl}|${r.version}`;
  let names = derived.get(key);
  if (names) return names;
  decodes += 1;
  const set = new Set<string>();
  for (const any of resourcesOf(r)) {
    const a = decode('google.protobuf.Any', any) as { '@type'?: string } & Record<string, unknown>;
    if (r.typeUrl === TypeUrls.cluster) {
      if (a.type === 'EDS') set.add(String(a.name));
    } else collect(a, 'route_config_name', set);
  }
  names = [...set].sort();
  derived.set(key, names);
  return names;
}
