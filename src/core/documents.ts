/**
 * Reading user documents: multi-document YAML and JSON, from text, files and directories.
 * Every document comes back with where it came from, so errors can name file and index.
 * Pure where it can be: parseDocuments() takes text; readDocuments() is the thin I/O shell.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { parseAllDocuments, type DocumentOptions, type ParseOptions, type SchemaOptions, type Tags } from 'yaml';
import { KUBECTL_NUMBER_TAGS } from './kubectl-numbers.js';

export interface SourceDocument {
  /** File path, or '-' for standard input. */
  file: string;
  /** Zero-based index of the document within its file. */
  index: number;
  /** The parsed value (null for an empty document), or undefined when it did not parse. */
  value?: unknown;
  /** Parse error, when the document is not valid YAML/JSON. */
  error?: string;
}

const NUMBER_AND_TIME_TAGS = new Set(['tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);

/**
 * Read scalars as kubectl does, since what we read is what kubectl applies. kubectl's YAML reader
 * (sigs.k8s.io/yaml on a go-yaml v2 fork) follows YAML 1.1: yes/no/on/off/y/n are booleans, `<<`
 * merges, 0644 is octal 420. Unlike the yaml package's 1.1 schema, it reads numbers with Go's rules
 * (see kubectl-numbers.ts: no sexagesimal 1:20, `.` is a string) and leaves unquoted timestamps such
 * as 2001-12-14 as strings. Both call sites use this: parseDocuments() and loadMeshConfig().
 */
export const KUBECTL_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  schema: 'yaml-1.1',
  customTags: (tags: Tags): Tags => [...tags.filter((t) => typeof t === 'string' || !NUMBER_AND_TIME_TAGS.has(t.tag)), ...KUBECTL_NUMBER_TAGS],
};

export const CONFIG_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Parses multi-document YAML (JSON is YAML). Empty documents are dropped; `kind: List` is expanded. */
export function parseDocuments(text: string, file = '-'): SourceDocument[] {
  const out: SourceDocument[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text, { ...KUBECTL_YAML, prettyErrors: true, uniqueKeys: false });
  } catch (e) {
    return [{ file, index: 0, error: (e as Error).message }];
  }
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      out.push({ file, index, error: doc.errors.map((e) => e.message.split('\n')[0]).join('; ') });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      out.push({ file, index, error: (e as Error).message });
      return;
    }
    if (value === null || value === undefined) return;
    out.push({ file, index, value });
  });
  return out;
}

/** Expands `kind: List` (and `*List`) documents into their items, keeping the source position. */
export function expandLists(docs: SourceDocument[]): SourceDocument[] {
  const out: SourceDocument[] = [];
  for (const d of docs) {
    const v = d.value as { kind?: unknown; items?: unknown } | undefined;
    if (v && typeof v === 'object' && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      for (const item of v.items) out.push({ ...d, value: item });
    } else out.push(d);
  }
  return out;
}

/** Lists config files under a path (a file is returned as is), sorted for determinism. */
export function listConfigFiles(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const p = join(path, entry.name);
    if (entry.isDirectory()) out.push(...listConfigFiles(p));
    else if (CONFIG_EXTENSIONS.includes(extname(entry.name).toLowerCase())) out.push(p);
  }
  return out;
}

/** Reads every document of every config file under the given paths ('-' reads standard input). */
export function readDocuments(paths: string[]): SourceDocument[] {
  const out: SourceDocument[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseDocuments(readFileSync(0, 'utf8'), '-'));
      continue;
    }
    for (const f of listConfigFiles(p)) out.push(...parseDocuments(readFileSync(f, 'utf8'), f));
  }
  return out;
}
