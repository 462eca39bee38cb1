/**
 * `sidecar.istio.io/userVolume` and `sidecar.istio.io/userVolumeMount`: JSON objects from a volume name to a
 * Volume (added to the pod) and to a VolumeMount (added to istio-proxy), as Istio's template reads them.
 * Istio drops an annotation it cannot parse without a word; here it is a denial that names the annotation,
 * as are the mistakes the API server would reject the pod for later (a name used twice, a mount of a volume
 * the pod does not have, a mount without mountPath). Pure.
 */
import { shown } from '../core/shown.js';
import { isObject } from '../core/object.js';

export type Entry = Record<string, unknown> & { name: string };

/** A volume name as Kubernetes requires it (an RFC 1123 label). */
const VOLUME_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;


/** The entries of one annotation, each with its key as `name` (first, as Istio's template writes it), and the problems. */
export function readNamedObjects(text: string): { entries: Entry[]; errors: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { entries: [], errors: [`is not valid JSON: ${(e as Error).message}`] };
  }
  if (!isObject(doc)) return { entries: [], errors: ['must be a JSON object from volume names to their specs'] };
  const entries: Entry[] = [];
  const errors: string[] = [];
  for (const [name, spec] of Object.entries(doc)) {
    if (!VOLUME_NAME.test(name) || name.length > 63) errors.push(`${shown(name)} is not a volume name (lowercase letters, digits and '-', at most 63)`);
    else if (!isObject(spec)) errors.push(`${name}: must be an object, got ${shown(spec)}`);
    else {
      const { name: _ignored, ...rest } = spec;
      entries.push({ name, ...rest });
    }
  }
  return { entries, errors };
}

/** Checks volumes against the pod's own and mounts against all of them; errors without the annotation names. */
export function checkUserVolumes(
  volumes: Entry[],
  mounts: Entry[],
  podVolumes: string[],
  reserved: { name: string; mountPath: string },
): { volumes: string[]; mounts: string[] } {
  const errors = { volumes: [] as string[], mounts: [] as string[] };
  for (const v of volumes) {
    if (v.name === reserved.name) errors.volumes.push(`${v.name}: the name is reserved for the injected sidecar`);
    else if (podVolumes.includes(v.name)) errors.volumes.push(`${v.name}: the pod already has a volume of that name`);
  }
  const known = new Set([...podVolumes, ...volumes.map((v) => v.name)]);
  for (const m of mounts) {
    if (typeof m.mountPath !== 'string' || m.mountPath === '') errors.mounts.push(`${m.name}: mountPath is required`);
    else if (m.mountPath === reserved.mountPath) errors.mounts.push(`${m.name}: mountPath ${reserved.mountPath} is the sidecar's own`);
    if (m.name === reserved.name) errors.mounts.push(`${m.name}: the name is reserved for the injected sidecar`);
    else if (!known.has(m.name)) errors.mounts.push(`${m.name}: the pod has no volume of that name (add it to the pod or to sidecar.istio.io/userVolume)`);
  }
  return errors;
}
