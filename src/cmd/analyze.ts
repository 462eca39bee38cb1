/**
 * `mizzen analyze DIR|FILE ...`: schema validation (IST0106 / IST0133) plus the cross-resource analyzers, printed
 * like istioctl analyze. Exit 1 when a finding reaches --fail-on (Error by default), 2 on usage errors.
 */
import { analyze, CODES, compareFindings, formatFinding, type AnalyzeOptions, type Finding, type Level } from '../analysis/index.js';
import { parseSuppression, suppressedBy } from '../analysis/finding.js';
import { analysisOptions, loadMeshConfig } from '../config/mesh.js';
import { location, schemaFindings, type DocumentReport } from '../analysis/documents.js';
import type { KubeObject } from '../core/kube.js';
import { parseFlags, withUsage, UsageError } from './args.js';
import { guarded, inputPaths, loadInputs, parseOutput } from './validate.js';

const HELP = `usage: mizzen analyze DIR|FILE ... [-o text|json] [--fail-on Error|Warning|Info] [--suppress CODE=RESOURCE]

Checks a set of resources together, like istioctl analyze: every Istio resource is validated (IST0106),
then references are resolved across the whole input: destination hosts and ports, subsets, gateways,
delegates, conflicting VirtualServices, selectors that match no workload, Service port names,
namespaces, EnvoyFilter patch operations that change nothing or depend on order, and the Services,
backends, ReferenceGrants and filters of Gateway API routes, and the Gateways they attach to (listeners, workloads).
Give Services, Deployments, Pods and Namespaces along with the Istio resources for the
workload and namespace checks. Codes: IST#### are Istio's, MZ#### are mizzen's (src/analysis/codes.ts).

  -f, --filename PATH    a file, a directory or '-' (repeatable; bare paths work too)
  -o, --output FORMAT    text (default) or json
      --fail-on LEVEL    exit 1 when a finding is at least this severe (default Error)
      --mesh-config FILE the mesh config mizzen serve runs with: the providers Telemetry resources and
                         CUSTOM AuthorizationPolicies name are checked against its extensionProviders,
                         and their services against the input; short names resolve in its domain suffix
      --suppress CODE=RESOURCE
                         drop the findings of CODE about RESOURCE, "Kind name.namespace" with * and ?
                         as wildcards, e.g. "IST0101=VirtualService *.staging" (repeatable); a resource's
                         annotation galley.istio.io/analyze-suppress: CODE,... does the same

exit status: 0 nothing at --fail-on or above, 1 otherwise, 2 usage error or unreadable path
`;

const LEVELS: readonly Level[] = ['Error', 'Warning', 'Info'];

function parseLevel(v: unknown): Level {
  const s = v === undefined ? 'Error' : String(v);
  const level = LEVELS.find((l) => l.toLowerCase() === s.toLowerCase());
  if (!level) throw new UsageError(`invalid --fail-on "${s}": use Error, Warning or Info`);
  return level;
}

/** Where each resource came from: `Kind/ns/name` → document locations in input order. */
function origins(reports: readonly DocumentReport[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of reports) {
    if (!r.kind) continue;
    const k = `${r.kind}/${r.kind === 'Namespace' ? '' : r.namespace}/${r.name}`;
    out.set(k, [...(out.get(k) ?? []), location(r)]);
  }
  return out;
}

/** A finding and the documents it is about. */
interface Located {
  finding: Finding;
  at: string[];
}

function locate(findings: readonly Finding[], from: Map<string, string[]>): Located[] {
  return findings.map((f) => ({ finding: f, at: from.get(`${f.resource.kind}/${f.resource.namespace}/${f.resource.name}`) ?? [] }));
}

/** Schema findings carry the exact document they come from. */
function schemaLocated(reports: readonly DocumentReport[]): Located[] {
  return reports.flatMap((r) => schemaFindings(r).map((f) => ({ finding: f, at: [location(r)] })));
}

function text(found: readonly Located[], docs: number, files: number): string {
  if (found.length === 0) return `No validation issues found when analyzing ${docs} document(s) in ${files} file(s).\n`;
  const lines = found.map(({ finding: f, at }) => {
    if (f.resource.kind === 'Document') return `${f.level} [${f.code}] (${f.resource.name}) ${f.message}`;
    return formatFinding(f, at.length === 0 ? undefined : at.length === 1 ? at[0] : `${at[0]} +${at.length - 1} more`);
  });
  const n = (l: Level): number => found.filter((x) => x.finding.level === l).length;
  lines.push(`${n('Error')} error(s), ${n('Warning')} warning(s), ${n('Info')} info in ${docs} document(s) in ${files} file(s)`);
  return lines.join('\n') + '\n';
}

function json(found: readonly Located[]): string {
  const rows = found.map(({ finding: f, at }) => ({ ...f, name: CODES[f.code as keyof typeof CODES]?.name ?? f.code, origin: at }));
  return JSON.stringify(rows, null, 2) + '\n';
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values, positionals } = parseFlags(
      argv,
      { filename: { type: 'string', short: 'f', multiple: true }, output: { type: 'string', short: 'o' }, 'fail-on': { type: 'string' }, 'mesh-config': { type: 'string' }, suppress: { type: 'string', multiple: true } },
      true,
    );
    const output = parseOutput(values.output);
    const failOn = parseLevel(values['fail-on']);
    const suppressions = ((values.suppress as string[] | undefined) ?? []).map((s) => {
      const parsed = parseSuppression(s);
      if (typeof parsed === 'string') throw new UsageError(`invalid --suppress: ${parsed}`);
      return parsed;
    });
    let options: AnalyzeOptions = {};
    if (values['mesh-config'] !== undefined) {
      const mesh = loadMeshConfig(values['mesh-config']);
      if (!mesh.ok) {
        process.stderr.write(mesh.errors.map((e) => `mizzen analyze: ${e}\n`).join(''));
        return 2;
      }
      process.stderr.write((mesh.warnings ?? []).map((w) => `mizzen analyze: warning: ${w}\n`).join(''));
      options = analysisOptions(mesh.value);
    }
    const inputs = guarded(() => loadInputs('analyze', inputPaths(values, positionals)));
    if (!inputs) return 2;
    const objects = inputs.reports.map((r) => r.object).filter((o): o is KubeObject => o !== undefined);
    const found = [...schemaLocated(inputs.reports), ...locate(analyze(objects, options), origins(inputs.reports))].filter((x) => !suppressedBy(x.finding, suppressions));
    found.sort((a, b) => compareFindings(a.finding, b.finding) || (a.at[0] ?? '').localeCompare(b.at[0] ?? ''));
    process.stdout.write(output === 'json' ? json(found) : text(found, inputs.reports.length, inputs.files));
    const threshold = LEVELS.indexOf(failOn);
    return found.some((x) => LEVELS.indexOf(x.finding.level) <= threshold) ? 1 : 0;
  });
}
