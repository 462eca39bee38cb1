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
  /** The resources (encoded Any), undecoded. */
  resources: Buffer[];
  bytes: number;
}

function varint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [result, pos];
    shift += 7;
  }
}

/** Reads the top-level fields of a DiscoveryResponse (1 version_info, 2 resources, 4 type_url, 5 nonce). */
export function readResponse(buf: Buffer): LazyResponse {
  const out: LazyResponse = { version: '', typeUrl: '', nonce: '', resources: [], bytes: buf.length };
  let pos = 0;
  while (pos < buf.length) {
    let key: number;
    [key, pos] = varint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      [, pos] = varint(buf, pos);
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire}`);
    let len: number;
    [len, pos] = varint(buf, pos);
    const slice = buf.subarray(pos, pos + len);
    pos += len;
    if (field === 1) out.version = slice.toString('utf8');
    else if (field === 2) out.resources.push(slice);
    else if (field === 4) out.typeUrl = slice.toString('utf8');
    else if (field === 5) out.nonce = slice.toString('utf8');
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
  for (const any of r.resources) {
    const a = decode('google.protobuf.Any', any) as { '@type'?: string } & Record<string, unknown>;
    if (r.typeUrl === TypeUrls.cluster) {
      if (a.type === 'EDS') set.add(String(a.name));
    } else collect(a, 'route_config_name', set);
  }
  names = [...set].sort();
  derived.set(key, names);
  return names;
}
