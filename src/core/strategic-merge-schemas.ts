/**
 * The strategic merge patch metadata (the patchStrategy / patchMergeKey tags of k8s.io/api) of the kinds a gateway
 * deployment is made of: ServiceAccount, Deployment, Service, HorizontalPodAutoscaler (autoscaling/v2) and
 * PodDisruptionBudget (policy/v1). Only the fields whose treatment is not the default (maps merge, lists are
 * replaced) are named; status fields are left out (a patch of what the controller writes has no status). Pure data.
 */
import type { FieldMeta, PatchSchema } from './strategic-merge.js';

const merged = (key?: string, fields?: PatchSchema): FieldMeta => ({ list: key ? { key } : {}, ...(fields ? { fields } : {}) });
const map = (fields: PatchSchema): FieldMeta => ({ fields });

/** ObjectMeta: owner references by uid, finalizers as a set. */
const OBJECT_META: PatchSchema = { ownerReferences: merged('uid'), finalizers: merged() };

/** Container (and EphemeralContainer). */
const CONTAINER: PatchSchema = {
  ports: merged('containerPort'),
  env: merged('name'),
  volumeMounts: merged('mountPath'),
  volumeDevices: merged('devicePath'),
};

const POD_SPEC: PatchSchema = {
  volumes: merged('name'),
  initContainers: merged('name', CONTAINER),
  containers: merged('name', CONTAINER),
  ephemeralContainers: merged('name', CONTAINER),
  imagePullSecrets: merged('name'),
  hostAliases: merged('ip'),
  topologySpreadConstraints: merged('topologyKey'),
  schedulingGates: merged('name'),
  resourceClaims: merged('name'),
  evictionResponders: merged('name'),
};

export type PatchedKind = 'ServiceAccount' | 'Deployment' | 'Service' | 'HorizontalPodAutoscaler' | 'PodDisruptionBudget';

export const PATCH_SCHEMAS: Readonly<Record<PatchedKind, PatchSchema>> = {
  // ServiceAccount.imagePullSecrets is atomic (replaced), unlike a pod's.
  ServiceAccount: { metadata: map(OBJECT_META), secrets: merged('name') },
  Deployment: { metadata: map(OBJECT_META), spec: map({ template: map({ metadata: map(OBJECT_META), spec: map(POD_SPEC) }) }) },
  Service: { metadata: map(OBJECT_META), spec: map({ ports: merged('port') }) },
  HorizontalPodAutoscaler: { metadata: map(OBJECT_META) },
  PodDisruptionBudget: { metadata: map(OBJECT_META), spec: map({ selector: { replace: true } }) },
};
