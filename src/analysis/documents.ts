/**
 * What `mizzen validate` and `mizzen analyze` share: every document of the input checked on its own.
 * Istio resources go through the validators; other Kubernetes objects are skipped (analysis still reads them);
 * a document that does not parse, or is not a Kubernetes object at all, is invalid. Pure: documents in, reports out.
 */
import { ApiGroups } from '../core/constants.js';
import type { SourceDocument } from '../core/documents.js';
import { apiGroup, type KubeObject } from '../core/kube.js';
import { validateObject } from '../validation/index.js';
import { reachabilityNotes, type ReachabilityNote } from '../validation/vs-reachability.js';
import { finding, unsuppressed, type Finding } from './finding.js';
import { isRec } from './shape.js';

export interface DocumentReport {
  file: string;
  /** Zero-based document index within the file. */
  index: number;
  /** Position inside a `kind: List` document. */
  item?: number;
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status: 'valid' | 'invalid' | 'skipped';
  errors: string[];
  warnings: string[];
  /** The object, when the document is a Kubernetes object (valid, invalid or skipped). */
  object?: KubeObject;
}

/** `file#index`, or `file#index.items[i]` for an item of a List. */
export const location = (r: Pick<DocumentReport, 'file' | 'index' | 'item'>): string => `${r.file}#${r.index}${r.item === undefined ? '' : `.items[${r.item}]`}`;

const ISTIO_GROUPS: readonly string[] = Object.values(ApiGroups);

function checkValue(file: string, index: number, item: number | undefined, value: unknown): DocumentReport {
  const base = { file, index, ...(item === undefined ? {} : { item }), errors: [] as string[], warnings: [] as string[] };
  if (!isRec(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') {
    const missing = isRec(value) ? ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string').join(' and ') : '';
    const what = isRec(value) ? `${missing} ${missing.includes(' and ') ? 'are' : 'is'} required` : `got ${Array.isArray(value) ? 'a list' : typeof value}`;
    return { ...base, status: 'invalid', errors: [`not a Kubernetes object: ${what}`] };
  }
  const meta = isRec(value.metadata) ? value.metadata : {};
  const id = {
    apiVersion: value.apiVersion,
    kind: value.kind,
    namespace: typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default',
    name: typeof meta.name === 'string' ? meta.name : '',
  };
  const object = isRec(value.metadata) ? (value as unknown as KubeObject) : ({ ...value, metadata: {} } as unknown as KubeObject);
  if (!ISTIO_GROUPS.includes(apiGroup(value.apiVersion))) return { ...base, ...id, status: 'skipped', object };
  const report = validateObject(value);
  return { ...base, ...id, status: report.errors.length ? 'invalid' : 'valid', errors: report.errors, warnings: report.warnings, object };
}

/** One report per document (per item for `kind: List` documents), in input order. */
export function checkDocuments(docs: readonly SourceDocument[]): DocumentReport[] {
  const out: DocumentReport[] = [];
  for (const d of docs) {
    if (d.error !== undefined) {
      out.push({ file: d.file, index: d.index, status: 'invalid', errors: [`does not parse: ${d.error.trim().replace(/:$/, '')}`], warnings: [] });
      continue;
    }
    const v = d.value;
    if (isRec(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      v.items.forEach((item, i) => out.push(checkValue(d.file, d.index, i, item)));
      continue;
    }
    out.push(checkValue(d.file, d.index, undefined, v));
  }
  return out;
}

/** Schema findings for analyze: IST0106 per error, IST0133 per warning (IST0130 / IST0131 for unreachable VirtualService rules), attached to the resource (or the document). */
export function schemaFindings(r: DocumentReport): Finding[] {
  const subject: KubeObject = r.object ?? { apiVersion: '', kind: 'Document', metadata: { name: location(r), namespace: '' } };
  const out: Finding[] = [];
  for (const e of r.errors) out.push(withoutNamespace(finding('IST0106', subject, `Schema validation error: ${e}`), r));
  // The validator's warnings about unreachable VirtualService rules get their own codes, as Istio's schema analyzer gives them.
  const notes = new Map<string, ReachabilityNote>(r.object?.kind === 'VirtualService' ? reachabilityNotes(r.object.spec).map((n) => [`${n.path}: ${n.message}`, n] as const) : []);
  for (const w of r.warnings) {
    const n = notes.get(w);
    out.push(withoutNamespace(n ? finding(n.kind === 'rule' ? 'IST0130' : 'IST0131', subject, n.message, n.path) : finding('IST0133', subject, `Schema validation warning: ${w}`), r));
  }
  return r.object ? unsuppressed(out, [r.object]) : out;
}

const withoutNamespace = (f: Finding, r: DocumentReport): Finding => (r.object ? f : { ...f, resource: { ...f.resource, namespace: '' } });
