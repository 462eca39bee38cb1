/**
 * Which pods the API server sends to the injection webhook: the selectors of manifests/webhooks.yaml (Istio's, for
 * its default revision), as a function of the namespace's and the pod's labels, for the code that must know
 * without asking the API server (the uninjected-pod watchdog). System namespaces are left to the policy
 * (decideInjection). A test checks this against the manifests. Pure.
 */
import { Labels } from '../core/constants.js';

/** Why a pod is sent to the webhook (the label that asks for it), or undefined when it is not. */
export type InjectionSelection = 'namespace' | 'namespace-revision' | 'pod-label' | 'pod-revision';

export function injectionSelection(namespaceLabels: Readonly<Record<string, string>>, podLabels: Readonly<Record<string, string>>, revision: string): InjectionSelection | undefined {
  const has = (labels: Readonly<Record<string, string>>, k: string) => Object.prototype.hasOwnProperty.call(labels, k);
  if (has(namespaceLabels, Labels.injectionNamespace)) return namespaceLabels[Labels.injectionNamespace] === 'enabled' ? 'namespace' : undefined;
  if (has(namespaceLabels, Labels.revision)) return namespaceLabels[Labels.revision] === revision ? 'namespace-revision' : undefined;
  if (has(podLabels, Labels.revision)) return podLabels[Labels.revision] === revision && podLabels[Labels.inject] !== 'false' ? 'pod-revision' : undefined;
  return podLabels[Labels.inject] === 'true' ? 'pod-label' : undefined;
}

/** The labels behind a selection, as a sentence fragment ("namespace default has istio-injection=enabled"). */
export function selectionText(s: InjectionSelection, namespace: string, revision: string): string {
  switch (s) {
    case 'namespace':
      return `namespace ${namespace} has ${Labels.injectionNamespace}=enabled`;
    case 'namespace-revision':
      return `namespace ${namespace} has ${Labels.revision}=${revision}`;
    case 'pod-label':
      return `the pod has the label ${Labels.inject}=true`;
    case 'pod-revision':
      return `the pod has the label ${Labels.revision}=${revision}`;
  }
}
