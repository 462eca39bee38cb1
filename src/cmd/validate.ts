/**
 * `mizzen validate -f FILE|DIR ...`: the webhook's validators, offline. Multi-document YAML and JSON, directories
 * recursively; non-Istio objects are skipped (and counted). Exit 1 when anything is invalid, 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { listConfigFiles, readDocuments } from '../core/documents.js';
import { checkDocuments, location, type DocumentReport } from '../analysis/documents.js';
import { parseFlags, withUsage, UsageError } from './args.js';

const HELP = `usage: mizzen validate -f FILE|DIR [-f ...] [-o text|json]

Validates Istio resources (networking.istio.io, security.istio.io, telemetry.istio.io,
extensions.istio.io) with the same rules as the webhook. Reads multi-document YAML and JSON; directories are searched recursively
for *.yaml, *.yml, *.json; '-' reads standard input. Other Kubernetes objects are skipped.

  -f, --filename PATH   a file, a directory or '-' (repeatable; bare paths work too)
  -o, --output FORMAT   text (default) or json

exit status: 0 all valid, 1 something invalid, 2 usage error or unreadable path
`;

export interface Inputs {
  reports: DocumentReport[];
  files: number;
}

/** A path that cannot be read: exit 2 with this message alone (no usage text). */
export class InputError extends Error {}

/** Reads every path (checking each exists first) and checks every document. Throws InputError for a bad path. */
export function loadInputs(command: string, paths: string[]): Inputs {
  if (paths.length === 0) throw new UsageError(`mizzen ${command}: no input: give at least one file or directory`);
  let files = 0;
  for (const p of paths) {
    if (p === '-') {
      files++;
      continue;
    }
    if (!existsSync(p)) throw new InputError(`mizzen ${command}: ${p}: no such file or directory`);
    const found = listConfigFiles(p).length;
    if (found === 0) throw new InputError(`mizzen ${command}: ${p}: no .yaml, .yml or .json files`);
    files += found;
  }
  try {
    return { reports: checkDocuments(readDocuments(paths)), files };
  } catch (e) {
    throw new InputError(`mizzen ${command}: ${(e as Error).message}`);
  }
}

/** The `-f` values and bare positionals, in order. */
export function inputPaths(values: { filename?: string[] | string | boolean }, positionals: string[]): string[] {
  const f = values.filename;
  return [...(Array.isArray(f) ? f : typeof f === 'string' ? [f] : []), ...positionals];
}

/** Runs `load`, printing an InputError alone on stderr (the caller exits 2). */
export function guarded<T>(load: () => T): T | undefined {
  try {
    return load();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return undefined;
  }
}

export function parseOutput(v: unknown): 'text' | 'json' {
  const o = v === undefined ? 'text' : String(v);
  if (o !== 'text' && o !== 'json') throw new UsageError(`invalid --output "${o}": use text or json`);
  return o;
}

const subject = (r: DocumentReport): string => (r.kind ? ` ${r.kind} ${r.namespace}/${r.name || '(unnamed)'}` : '');

function text(inputs: Inputs): string {
  const lines: string[] = [];
  for (const r of inputs.reports) {
    for (const e of r.errors) lines.push(`${location(r)}${subject(r)}: ${e}`);
    for (const w of r.warnings) lines.push(`${location(r)}${subject(r)}: warning: ${w}`);
  }
  const count = (s: DocumentReport['status']): number => inputs.reports.filter((r) => r.status === s).length;
  const invalid = count('invalid');
  const warned = inputs.reports.filter((r) => r.warnings.length > 0).length;
  const istio = inputs.reports.filter((r) => r.kind && r.status !== 'skipped').length;
  lines.push(
    `${invalid ? 'FAIL' : 'OK'}: ${istio} Istio resource(s) in ${inputs.files} file(s): ` +
      `${invalid} invalid document(s), ${warned} with warnings; ${count('skipped')} non-Istio object(s) skipped`,
  );
  return lines.join('\n') + '\n';
}

function json(inputs: Inputs): string {
  const rows = inputs.reports.map(({ object: _object, ...r }) => ({ location: location(r), ...r }));
  return JSON.stringify(rows, null, 2) + '\n';
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values, positionals } = parseFlags(
      argv,
      { filename: { type: 'string', short: 'f', multiple: true }, output: { type: 'string', short: 'o' } },
      true,
    );
    const output = parseOutput(values.output);
    const inputs = guarded(() => loadInputs('validate', inputPaths(values, positionals)));
    if (!inputs) return 2;
    process.stdout.write(output === 'json' ? json(inputs) : text(inputs));
    return inputs.reports.some((r) => r.status === 'invalid') ? 1 : 0;
  });
}
