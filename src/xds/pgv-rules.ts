/** The scalar rule families of protoc-gen-validate (numbers, strings, bytes), apart from the message walk in pgv.ts. */

export type Rules = Record<string, unknown>;
type Emit = (rule: string) => void;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** const / lt / lte / gt / gte / in / not_in, with PGV's exclusive ranges (gt > lt means "outside"). */
export function checkNumber(r: Rules, n: number, emit: Emit): void {
  if (r.const !== undefined && n !== num(r.const)) emit(`const = ${num(r.const)} (got ${n})`);
  const lower = r.gt !== undefined ? { v: num(r.gt), ok: (x: number) => x > num(r.gt), name: 'gt' } : r.gte !== undefined ? { v: num(r.gte), ok: (x: number) => x >= num(r.gte), name: 'gte' } : undefined;
  const upper = r.lt !== undefined ? { v: num(r.lt), ok: (x: number) => x < num(r.lt), name: 'lt' } : r.lte !== undefined ? { v: num(r.lte), ok: (x: number) => x <= num(r.lte), name: 'lte' } : undefined;
  if (lower && upper && upper.v < lower.v) {
    if (!lower.ok(n) && !upper.ok(n)) emit(`${lower.name} = ${lower.v} or ${upper.name} = ${upper.v} (got ${n})`);
  } else {
    if (lower && !lower.ok(n)) emit(`${lower.name} = ${lower.v} (got ${n})`);
    if (upper && !upper.ok(n)) emit(`${upper.name} = ${upper.v} (got ${n})`);
  }
  if (Array.isArray(r.in) && r.in.length > 0 && !r.in.map(num).includes(n)) emit(`in [${r.in.join(', ')}] (got ${n})`);
  if (Array.isArray(r.not_in) && r.not_in.map(num).includes(n)) emit(`not_in [${r.not_in.join(', ')}] (got ${n})`);
}

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const isIpv6 = (s: string): boolean => s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) && s.split('::').length <= 2;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function checkString(r: Rules, s: string, emit: Emit, pattern: (re: string, s: string) => boolean): void {
  if (r.ignore_empty && s === '') return;
  const chars = [...s].length;
  const bytes = Buffer.byteLength(s, 'utf8');
  if (r.const !== undefined && s !== r.const) emit(`const = ${JSON.stringify(r.const)}`);
  if (r.len !== undefined && chars !== num(r.len)) emit(`len = ${num(r.len)} (got ${chars})`);
  if (r.min_len !== undefined && chars < num(r.min_len)) emit(`min_len = ${num(r.min_len)} (got ${chars})`);
  if (r.max_len !== undefined && chars > num(r.max_len)) emit(`max_len = ${num(r.max_len)} (got ${chars})`);
  if (r.len_bytes !== undefined && bytes !== num(r.len_bytes)) emit(`len_bytes = ${num(r.len_bytes)} (got ${bytes})`);
  if (r.min_bytes !== undefined && bytes < num(r.min_bytes)) emit(`min_bytes = ${num(r.min_bytes)} (got ${bytes})`);
  if (r.max_bytes !== undefined && bytes > num(r.max_bytes)) emit(`max_bytes = ${num(r.max_bytes)} (got ${bytes})`);
  if (typeof r.pattern === 'string' && !pattern(r.pattern, s)) emit(`pattern ${JSON.stringify(r.pattern)} (got ${JSON.stringify(s)})`);
  if (typeof r.prefix === 'string' && !s.startsWith(r.prefix)) emit(`prefix ${JSON.stringify(r.prefix)}`);
  if (typeof r.suffix === 'string' && !s.endsWith(r.suffix)) emit(`suffix ${JSON.stringify(r.suffix)}`);
  if (typeof r.contains === 'string' && !s.includes(r.contains)) emit(`contains ${JSON.stringify(r.contains)}`);
  if (typeof r.not_contains === 'string' && s.includes(r.not_contains)) emit(`not_contains ${JSON.stringify(r.not_contains)}`);
  if (Array.isArray(r.in) && r.in.length > 0 && !r.in.includes(s)) emit(`in [${r.in.join(', ')}] (got ${JSON.stringify(s)})`);
  if (Array.isArray(r.not_in) && r.not_in.includes(s)) emit(`not_in (got ${JSON.stringify(s)})`);
  const strict = r.strict !== false;
  switch (r.well_known_regex) {
    case 'HTTP_HEADER_NAME':
    case 1:
      if (!(strict ? HEADER_NAME_STRICT : HEADER_LOOSE).test(s)) emit(`well_known_regex HTTP_HEADER_NAME (got ${JSON.stringify(s)})`);
      break;
    case 'HTTP_HEADER_VALUE':
    case 2:
      if (!(strict ? HEADER_VALUE_STRICT : HEADER_LOOSE).test(s)) emit(`well_known_regex HTTP_HEADER_VALUE (got ${JSON.stringify(s)})`);
      break;
  }
  if (r.hostname && !HOSTNAME.test(s)) emit(`hostname (got ${JSON.stringify(s)})`);
  if (r.ipv4 && !IPV4.test(s)) emit(`ipv4 (got ${JSON.stringify(s)})`);
  if (r.ipv6 && !isIpv6(s)) emit(`ipv6 (got ${JSON.stringify(s)})`);
  if (r.ip && !IPV4.test(s) && !isIpv6(s)) emit(`ip (got ${JSON.stringify(s)})`);
  if (r.address && !IPV4.test(s) && !isIpv6(s) && !HOSTNAME.test(s)) emit(`address (got ${JSON.stringify(s)})`);
  if (r.uuid && !UUID.test(s)) emit(`uuid (got ${JSON.stringify(s)})`);
  if (r.email && !/^[^@\s]+@[^@\s]+$/.test(s)) emit(`email (got ${JSON.stringify(s)})`);
  if (r.uri && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) emit(`uri (got ${JSON.stringify(s)})`);
}

export function checkBytes(r: Rules, v: unknown, emit: Emit): void {
  const len = v instanceof Uint8Array ? v.length : typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
  if (r.ignore_empty && len === 0) return;
  if (r.len !== undefined && len !== num(r.len)) emit(`len = ${num(r.len)} (got ${len})`);
  if (r.min_len !== undefined && len < num(r.min_len)) emit(`min_len = ${num(r.min_len)} (got ${len})`);
  if (r.max_len !== undefined && len > num(r.max_len)) emit(`max_len = ${num(r.max_len)} (got ${len})`);
}
