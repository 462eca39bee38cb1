/**
 * The fields of Istio's ProxyConfig.tracing that shape a proxy's spans rather than where they go: customTags (tag
 * name → a literal, the proxy's environment variable, or a request header, each of the last two with a default),
 * maxPathTagLength (how much of the path the http.url tag keeps) and enableIstioTags (false: without Istio's own
 * tags). Read here as proto3 JSON reads them (JSON or
 * proto names, a uint32 also as a string of digits, null for unset) wherever they can be written: the mesh config's
 * defaultConfig.tracing, the proxy.istio.io/config annotation, and the PROXY_CONFIG node metadata a proxy sends.
 * Istio's other tracing fields (the tracer, sampling, tlsSettings) are named back to the caller,
 * which says what it makes of them. What the generators do with these is xds/gen/span-tags.ts. Pure.
 */
import { isObject } from '../core/object.js';
import { noteNamed, shown } from '../core/shown.js';
import { fieldNames, protoFields, uint32 } from '../core/proto-json.js';

/** One custom tag, in proto3 JSON form: exactly one source. */
export type ProxyCustomTag = { literal: { value: string } } | { environment: { name: string; defaultValue?: string } } | { header: { name: string; defaultValue?: string } };

/** A checked tracing message, the fields mizzen applies; absent fields are unset (no tags; Envoy's 256). */
export interface ProxyTracing {
  customTags?: Record<string, ProxyCustomTag>;
  /** Above 0: the http.url tag keeps this many characters of the path. */
  maxPathTagLength?: number;
  /** false: spans carry no Istio tags (canonical service, namespace, mesh and cluster ids); absent: they do. */
  enableIstioTags?: false;
}

export type TracingRead = { ok: true; value: ProxyTracing; unknown: string[]; others: string[]; warnings: string[] } | { ok: false; errors: string[] };

/** Istio's Tracing fields that are not read here, by JSON name (with their proto names below). */
const OTHERS = ['zipkin', 'lightstep', 'datadog', 'stackdriver', 'openCensusAgent', 'sampling', 'tlsSettings'] as const;
const OTHER_NAMES = fieldNames(OTHERS);
/** The fields read here. */
const READ = fieldNames(['customTags', 'maxPathTagLength', 'enableIstioTags'] as const);
/** What Envoy takes as a header name (its HTTP_HEADER_NAME rule, not strict): not empty, no NUL, CR or LF. */
const HEADER_NAME = /^[^\0\r\n]+$/;

/** The sources a tag takes its value from, and the fields of each (JSON name → proto name). */
const SOURCES = {
  literal: { value: 'value' },
  environment: { name: 'name', defaultValue: 'default_value' },
  header: { name: 'name', defaultValue: 'default_value' },
} as const;
type Source = keyof typeof SOURCES;

/** The field names of a source's message, JSON and proto, to the JSON name. */
function sourceFields(source: Source): Map<string, string> {
  const out = new Map<string, string>();
  for (const [json, proto] of Object.entries(SOURCES[source])) out.set(json, json).set(proto, json);
  return out;
}

/** One tag's source message, checked; errors and unknown keys named from `at` (`customTags.team.header.`). */
function sourceOf(source: Source, input: unknown, at: string, errors: string[], note: (path: string) => void): ProxyCustomTag | undefined {
  if (!isObject(input)) {
    errors.push(`${at.slice(0, -1)}: must be a mapping, got ${shown(input)}`);
    return undefined;
  }
  const names = sourceFields(source);
  const values: Record<string, string> = {};
  const before = errors.length;
  for (const [key, value] of Object.entries(input)) {
    const name = names.get(key);
    if (name === undefined) {
      note(`${at}${key}`);
      continue;
    }
    if (value === null) continue;
    if (typeof value !== 'string') errors.push(`${at}${key}: must be a string, got ${shown(value)}`);
    else if (name in values) errors.push(`${at}${key}: given twice, under its JSON and its proto name (set one of them)`);
    else values[name] = value;
  }
  // A field already named as wrong is not said to be missing too.
  if (errors.length > before) return undefined;
  if (source === 'literal') {
    // Envoy refuses an empty literal; Istio would pass it on and have the listener refused.
    if (!values.value) errors.push(`${at}value: required, a non-empty string (Envoy refuses an empty literal)`);
    return errors.length > before ? undefined : { literal: { value: values.value! } };
  }
  const name = values.name;
  if (!name) errors.push(`${at}name: required, ${source === 'header' ? 'the request header to read' : 'the environment variable to read'}`);
  else if (source === 'header' && !HEADER_NAME.test(name)) errors.push(`${at}name: ${shown(name)} must be a header name (no NUL, CR or LF)`);
  if (errors.length > before) return undefined;
  const body = { name: name!, ...(values.defaultValue ? { defaultValue: values.defaultValue } : {}) };
  return source === 'header' ? { header: body } : { environment: body };
}

/** customTags: each tag names exactly one source; a tag with none adds nothing (as in Istio), with a warning. */
function customTagsOf(input: unknown, at: string, errors: string[], warnings: string[], note: (path: string) => void): Record<string, ProxyCustomTag> | undefined {
  if (!isObject(input)) {
    errors.push(`${at}: must be a mapping of tag names to tags, got ${shown(input)}`);
    return undefined;
  }
  const out: Record<string, ProxyCustomTag> = {};
  for (const [tag, body] of Object.entries(input)) {
    const tp = `${at}.${tag === '' ? '""' : tag}`;
    if (tag === '') {
      errors.push(`${tp}: a tag needs a name (Envoy refuses an empty one)`);
      continue;
    }
    if (body === null) {
      // Istio's validation refuses a tag without a value.
      errors.push(`${tp}: must be a tag (literal, environment or header), got null`);
      continue;
    }
    if (!isObject(body)) {
      errors.push(`${tp}: must be a mapping with one of literal, environment, header; got ${shown(body)}`);
      continue;
    }
    const given = Object.keys(body).filter((k) => k in SOURCES && body[k] !== null) as Source[];
    for (const k of Object.keys(body)) if (!(k in SOURCES)) note(`${tp}.${k}`);
    if (given.length > 1) {
      errors.push(`${tp}: ${given.join(' and ')} given: a tag takes its value from one of literal, environment, header`);
      continue;
    }
    if (given.length === 0) {
      warnings.push(`${tp}: names no literal, environment or header: no such tag is added`);
      continue;
    }
    const built = sourceOf(given[0]!, body[given[0]!], `${tp}.${given[0]}.`, errors, note);
    if (built) out[tag] = built;
  }
  return out;
}

/**
 * Reads a ProxyConfig tracing message. Errors and unknown keys are named by their path below tracing
 * (`customTags.team.literal.value: …`, `maxPathTagLength: …`); `others` are Istio's tracing fields given that are
 * not read here; each caller says what an unknown key or another field is where it reads one.
 */
export function readProxyTracing(input: unknown): TracingRead {
  if (!isObject(input)) return { ok: false, errors: [`must be a mapping, got ${shown(input)}`] };
  const out: ProxyTracing = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  const unknown: string[] = [];
  const others: string[] = [];
  const note = (path: string): void => noteNamed(unknown, path);
  const other = (key: string): void => {
    if (OTHER_NAMES.has(key)) others.push(key);
    else note(key);
  };
  for (const [name, key, value] of protoFields(input, READ, '', errors, other)) {
    if (name === 'enableIstioTags') {
      // A BoolValue: proto3 JSON writes it bare.
      if (typeof value !== 'boolean') errors.push(`${key}: must be true or false, got ${shown(value)}`);
      else if (!value) out.enableIstioTags = false;
      continue;
    }
    if (name === 'maxPathTagLength') {
      const n = uint32(value);
      if (typeof n === 'string') errors.push(`${key}: ${n}`);
      else if (n > 0) out.maxPathTagLength = n;
      continue;
    }
    const tags = customTagsOf(value, key, errors, warnings, note);
    if (tags && Object.keys(tags).length > 0) out.customTags = tags;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out, unknown, others, warnings };
}

/** Whether a checked tracing says anything (an empty one is as none). */
export const saysTracing = (t: ProxyTracing | undefined): t is ProxyTracing => t !== undefined && (t.customTags !== undefined || t.maxPathTagLength !== undefined || t.enableIstioTags !== undefined);
