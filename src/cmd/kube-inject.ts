/**
 * `mizzen kube-inject -f FILE|- [-o FILE] [--mesh-config FILE]`: manual injection, like
 * `istioctl kube-inject`. Reads multi-document YAML (or JSON), injects the pod templates of
 * workloads with the webhook's core, writes multi-document YAML. Any unreadable document or
 * invalid annotation fails the whole run (exit 1) and nothing is written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify, type Tags } from 'yaml';
import { parseFlags, withUsage, UsageError } from './args.js';
import { expandLists, parseDocuments } from '../core/documents.js';
import { KUBECTL_NUMBER_TAGS } from '../core/kubectl-numbers.js';
import { loadMeshConfig } from '../config/mesh.js';
import { injectManifestWithReport } from '../inject/index.js';
import { proxyConfigLookup } from '../inject/proxy-configs.js';

/**
 * YAML 1.1 quoting on output: kubectl's parser reads unquoted yes/on/y as booleans and 0644 as a number.
 * kubectl's number tags are added to the 1.1 ones so that strings Go would read as numbers (0o17, 0X1F, -_1)
 * are quoted too; numbers are still written by the 1.1 tags, in decimal. No line folding.
 */
export const YAML_OUT = { lineWidth: 0, version: '1.1', customTags: (tags: Tags): Tags => [...tags, ...KUBECTL_NUMBER_TAGS] } as const;

const HELP = `usage: mizzen kube-inject -f FILE|- [-o FILE] [--mesh-config FILE]

Injects the istio-init and istio-proxy containers into the pod templates of Pods, Deployments,
StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs and Lists.
Other documents pass through unchanged. ProxyConfig resources (networking.istio.io/v1beta1) in the
input apply to its pods, as the webhook applies those in the cluster.

  -f, --filename FILE     input manifest ('-' reads standard input)
  -o, --output FILE       write here instead of standard output
      --mesh-config FILE  mesh config (YAML): images, xDS address, resources, selectors
`;

/** Turns the input text into the output text, or the list of errors. Pure apart from the mesh config. */
export function kubeInjectText(text: string, file: string, mesh: Parameters<typeof injectManifestWithReport>[1]['mesh']): { ok: true; output: string; notes: string[] } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const notes: string[] = [];
  const out: string[] = [];
  const docs = parseDocuments(text, file);
  // ProxyConfig resources in the input apply to its pods, as they would in the cluster once applied.
  const proxyConfigs = proxyConfigLookup(expandLists(docs).map((d) => d.value));
  for (const doc of docs) {
    const where = `${file}: document ${doc.index + 1}`;
    if (doc.error !== undefined) {
      errors.push(`${where}: not valid YAML: ${doc.error}`);
      continue;
    }
    const r = injectManifestWithReport(doc.value, { mesh, proxyConfigs });
    if (!r.ok) {
      errors.push(...r.errors.map((e) => `${where}: ${e}`));
      continue;
    }
    for (const s of r.value.skipped) notes.push(`${where}: ${s.object} not injected (${s.decision.reason}): ${s.decision.message}`);
    for (const w of r.value.warnings) notes.push(`${where}: warning: ${w}`);
    out.push(stringify(r.value.value, YAML_OUT));
  }
  return errors.length ? { ok: false, errors } : { ok: true, output: out.join('---\n'), notes };
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values } = parseFlags(argv, {
      filename: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o' },
      'mesh-config': { type: 'string' },
    });
    if (!values.filename) throw new UsageError('kube-inject: -f FILE (or -f - for standard input) is required');
    const mesh = loadMeshConfig(values['mesh-config']);
    if (!mesh.ok) {
      for (const e of mesh.errors) process.stderr.write(`kube-inject: ${e}\n`);
      return 1;
    }
    for (const w of mesh.warnings ?? []) process.stderr.write(`kube-inject: warning: ${w}\n`);
    const file = values.filename;
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      process.stderr.write(`kube-inject: cannot read ${file === '-' ? 'standard input' : file}: ${(e as Error).message}\n`);
      return 1;
    }
    const r = kubeInjectText(text, file === '-' ? '<stdin>' : file, mesh.value);
    if (!r.ok) {
      for (const e of r.errors) process.stderr.write(`kube-inject: ${e}\n`);
      return 1;
    }
    for (const n of r.notes) process.stderr.write(`kube-inject: ${n}\n`);
    if (values.output) {
      try {
        writeFileSync(values.output, r.output);
      } catch (e) {
        process.stderr.write(`kube-inject: cannot write ${values.output}: ${(e as Error).message}\n`);
        return 1;
      }
    } else process.stdout.write(r.output);
    return 0;
  });
}
