/** Shared by the injection tests: golden case runner, deepFreeze (src/core's), mesh config from a case file's header. */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseDocuments } from '../../src/core/documents.js';
import { resolveMeshConfig, type MeshConfig } from '../../src/config/mesh.js';
import { injectPod, injectManifest } from '../../src/inject/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { YAML_OUT } from '../../src/cmd/kube-inject.js';
import { deepFreeze } from '../../src/core/freeze.js';
import { proxyConfigLookup, type ProxyConfigLookup } from '../../src/inject/proxy-configs.js';

export { deepFreeze };

export interface CaseHeader {
  mesh: MeshConfig;
  /** The webhook's request namespace (pods without metadata.namespace). */
  namespace: string;
  /** The case file's ProxyConfig documents, applied to its pods as kube-inject applies them. */
  proxyConfigs?: ProxyConfigLookup;
}

/** `# mesh: {...}` (YAML flow) and `# namespace: x` lines at the top of a case file. */
export function readHeader(text: string): CaseHeader {
  let meshInput: unknown = null;
  let namespace = 'default';
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^#\s*(mesh|namespace):\s*(.*)$/.exec(line);
    if (m?.[1] === 'mesh') meshInput = parse(m[2]!);
    if (m?.[1] === 'namespace') namespace = m[2]!.trim();
  }
  const mesh = resolveMeshConfig(meshInput);
  if (!mesh.ok) throw new Error(`bad mesh header: ${mesh.errors.join('; ')}`);
  return { mesh: mesh.value, namespace };
}

/** One document through the core: top-level Pods as the webhook sees them (injectPod), the rest through injectManifest. */
export function injectDocument(doc: unknown, h: CaseHeader): { ok: true; value: unknown; note: string } | { ok: false; errors: string[] } {
  const o = doc as KubeObject;
  if (o?.kind === 'Pod') {
    const r = injectPod(o, { namespace: h.namespace, mesh: h.mesh, proxyConfigs: h.proxyConfigs });
    if (!r.ok) return r;
    const d = r.value.decision;
    const warnings = (r.value.warnings ?? []).map((w) => `\n# warning: ${w}`).join('');
    return { ok: true, value: r.value.pod, note: (d.inject ? `inject (${d.reason})` : `skip (${d.reason}): ${d.message}`) + warnings };
  }
  const r = injectManifest(o, { mesh: h.mesh, proxyConfigs: h.proxyConfigs });
  return r.ok ? { ok: true, value: r.value, note: `manifest ${o?.kind ?? ''}` } : r;
}

/** The golden text for a case file: each document's result (or its errors), with the decision as a comment. */
export function renderCase(file: string): string {
  const text = readFileSync(file, 'utf8');
  const docs = parseDocuments(text, file);
  const header = { ...readHeader(text), proxyConfigs: proxyConfigLookup(docs.map((d) => d.value)) };
  const out: string[] = [];
  for (const d of docs) {
    if (d.error !== undefined) throw new Error(`${file}: document ${d.index}: ${d.error}`);
    const r = injectDocument(deepFreeze(d.value), header);
    if (r.ok) out.push(`# ${r.note}\n` + stringify(r.value, YAML_OUT));
    else out.push('# error\n' + stringify({ errors: r.errors }, YAML_OUT));
  }
  return out.join('---\n');
}

/** The default mesh config with this defaultConfig (none: the defaults); a config that does not resolve fails the test. */
export function meshWithDefaultConfig(defaultConfig?: unknown): MeshConfig {
  const r = resolveMeshConfig(defaultConfig === undefined ? {} : { defaultConfig });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

/** injectPod's answer for a pod created in `namespace`; a refusal fails the test. */
export function injectIn(namespace: string, p: KubeObject, m: MeshConfig) {
  const r = injectPod(p, { namespace, mesh: m });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

/** The node metadata of the bootstrap the injected istio-proxy runs. */
export function bootstrapMetadataIn(namespace: string, p: KubeObject, m: MeshConfig): Record<string, unknown> {
  const proxy = (injectIn(namespace, p, m).pod.spec as any).containers.find((c: any) => c.name === 'istio-proxy');
  const args: string[] = proxy.args;
  return JSON.parse(args[args.indexOf('--config-yaml') + 1]!).node.metadata;
}
