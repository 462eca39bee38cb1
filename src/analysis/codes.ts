/**
 * Every message `mizzen analyze` can print. IST codes are Istio's (istioctl analyze,
 * "Configuration analysis messages"), used with Istio's meaning; MZ codes are ours, for checks Istio has no code for.
 *
 * | code    | name                                         | level   | notes |
 * | ------- | -------------------------------------------- | ------- | ----- |
 * | IST0101 | ReferencedResourceNotFound                   | Error   | VirtualService destination / mirror host, host:port, host+subset, gateway, delegate; Gateway API route (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute) Service or Gateway API Gateway parentRef, Service backendRef (RequestMirror's too) and its port; a Sidecar's egressProxy host, port and subset; a policy's (AuthorizationPolicy, RequestAuthentication, Telemetry, WasmPlugin, EnvoyFilter) targetRef to a Gateway API Gateway; the backend Service (or its port, by number or name) of a path of an Ingress of Istio's class |
 * | IST0102 | NamespaceNotInjected                         | Info    | a Namespace with neither istio-injection nor istio.io/rev: only its pods labelled sidecar.istio.io/inject=true get a sidecar (system and root namespaces aside) |
 * | IST0103 | PodMissingProxy                              | Warning | a running Pod without istio-proxy that mizzen's webhook would inject (inject/selection.ts, inject/policy.ts); only where the input declares its Namespace |
 * | IST0106 | SchemaValidationError                        | Error   | a document the validators reject (or that does not parse) |
 * | IST0107 | MisplacedAnnotation                          | Warning | an Istio annotation on a Namespace, Service, Pod or Deployment that is not among the resource types it belongs on (a Deployment's own metadata is never one: pod annotations go in its template) |
 * | IST0108 | UnknownAnnotation                            | Warning | an annotation of Istio's keys (`*istio.io/...`, kubernetes.io/ingress.class) on a Namespace, Service, Pod or Deployment that Istio does not define (analyzers/annotations.ts: those mizzen also reads are known) |
 * | IST0109 | ConflictingMeshGatewayVirtualServiceHosts    | Error   | two VirtualServices bound to `mesh` claim one host |
 * | IST0110 | ConflictingSidecarWorkloadSelectors          | Error   | Sidecars of a namespace whose selectors pick one workload of the input: a proxy takes the oldest, the others change nothing there |
 * | IST0111 | MultipleSidecarsWithoutWorkloadSelectors     | Error   | more than one Sidecar without a selector in a namespace: the oldest applies, the others change nothing |
 * | IST0112 | VirtualServiceDestinationPortSelectorRequired| Error   | destination without port to a host with several ports |
 * | IST0116 | DeploymentAssociatedToMultipleServices       | Warning | Services selecting a sidecar Deployment's pods use one port number with different protocols (TCP, UDP, SCTP) |
 * | IST0118 | PortNameIsNotUnderNamingConvention           | Info    | Service port name without a protocol prefix and no appProtocol |
 * | IST0123 | NamespaceMultipleInjectionLabels             | Warning | a Namespace with several of istio-injection, istio.io/rev and istio.io/dataplane-mode (the last two counted where istio-injection is absent or enabled); the finding names the one the webhook follows |
 * | IST0125 | InvalidAnnotation                            | Warning | a Pod annotation of those Istio checks the value of, with a value mizzen's webhook refuses (its own check, so both agree; merge-metrics: other than true or false) |
 * | IST0127 | NoMatchingWorkloadsFound                     | Warning | Sidecar / AuthorizationPolicy / PeerAuthentication / RequestAuthentication / Telemetry / ProxyConfig / WasmPlugin selector matches no workload (Istio reports Sidecars as IST0101 Error; an offline input often lacks the pods, so we warn) |
 * | IST0128 | NoServerCertificateVerificationDestinationLevel | Warning | a DestinationRule trafficPolicy.tls of mode SIMPLE or MUTUAL with neither caCertificates nor credentialName: mizzen checks the server against the proxy image's system CA bundle only (not at all with insecureSkipVerify) |
 * | IST0129 | NoServerCertificateVerificationPortLevel     | Warning | the same on a portLevelSettings entry |
 * | IST0130 | VirtualServiceUnreachableRule                | Warning | a VirtualService rule no request reaches: after a rule without matches, or each of its matches repeats or is covered by an earlier one (from the validator, as Istio's schema analyzer) |
 * | IST0131 | VirtualServiceIneffectiveMatch               | Info    | a match that repeats an earlier match of the VirtualService, or (HTTP) that an earlier match covers: every request it matches, the earlier takes (Istio: uri prefixes only) |
 * | IST0132 | VirtualServiceHostNotFoundInGateway          | Warning | a VirtualService's spec.gateways names a Gateway of the input none of whose server hosts (those open to the VirtualService's namespace) meets one of its hosts |
 * | IST0133 | SchemaWarning                                | Warning | a validator warning |
 * | IST0134 | ServiceEntryAddressesRequired                | Warning | a TCP port (TCP or unset, and not HTTP or TLS by its name) of a ServiceEntry without addresses: served on 0.0.0.0:<port>, shared with every service without addresses there (mizzen allocates no addresses) |
 * | IST0135 | DeprecatedAnnotation                         | Info    | an annotation Istio marks deprecated (sidecar.istio.io/inject not said where the label is set too) |
 * | IST0137 | DeploymentConflictingPorts                   | Warning | Services selecting a sidecar Deployment's pods reach one targetPort through different port numbers |
 * | IST0138 | GatewayDuplicateCertificate                  | Warning | TLS servers of Gateways whose selectors hold one another's labels present one certificate (credentialName, or certificate and key files): HTTP/2 connection reuse may give 404s |
 * | IST0145 | ConflictingGateways                          | Error   | Gateways on the same workloads with TLS (HTTPS, TLS) servers on one port naming one host: the oldest Gateway's server keeps its hosts, and a later server naming one of them is dropped whole, its other hosts too, as istiod drops it (Istio also reports plain-text servers, whose routes istiod and mizzen merge: MZ0004; and reads bind, which mizzen does not) |
 * | IST0149 | JwtClaimBasedRoutingWithoutRequestAuthN      | Error   | a VirtualService routes on a JWT claim (@request.auth.claims…) through a Gateway whose workload no RequestAuthentication (its namespace's or a root namespace's, by selector) applies to; per workload |
 * | IST0150 | ExternalNameServiceTypeInvalidPortName       | Warning | an ExternalName Service port named tcp or without a protocol (and no appProtocol): without a cluster IP, its clients' sidecars serve it on the shared 0.0.0.0:<port> listener, sending there every TCP connection to that port no other service claims (instead of IST0118) |
 * | IST0151 | EnvoyFilterUsesRelativeOperation             | Warning | EnvoyFilter of priority 0 with INSERT_BEFORE/INSERT_AFTER among filters or routes, REPLACE or REMOVE: its order against other filters is namespace and age (elsewhere an INSERT is an ADD, unlike Istio's check) |
 * | IST0152 | EnvoyFilterUsesReplaceOperationIncorrectly   | Error   | REPLACE other than on NETWORK_FILTER, HTTP_FILTER, LISTENER_FILTER, VIRTUAL_HOST: changes nothing (Istio also reports LISTENER_FILTER, which istiod applies) |
 * | IST0153 | EnvoyFilterUsesAddOperationIncorrectly       | Error   | ADD on ROUTE_CONFIGURATION: changes nothing (Istio also reports HTTP_ROUTE, where istiod and mizzen append the route) |
 * | IST0154 | EnvoyFilterUsesRemoveOperationIncorrectly    | Error   | REMOVE on ROUTE_CONFIGURATION: changes nothing (Istio also reports HTTP_ROUTE, where istiod and mizzen remove the route) |
 * | IST0155 | EnvoyFilterUsesRelativeOperationWithProxyVersion | Warning | IST0151 where another patch limited to a proxyVersion names the same element (any other patch, not only those Istio met earlier) |
 * | IST0157 | InvalidTelemetryProvider                     | Warning | a Telemetry access logging entry without providers where the mesh config has no default (checked when the mesh config is known) |
 * | IST0159 | ConflictingTelemetryWorkloadSelectors        | Warning | Istio: Error. Telemetries whose selectors pick one workload of the input all apply there, oldest first, each overriding the ones before: the outcome depends on their age |
 * | IST0160 | MultipleTelemetriesWithoutWorkloadSelectors  | Warning | Istio: Error. Only the oldest applies (as istiod), so the others change nothing; we warn on those |
 * | IST0162 | GatewayPortNotDefinedOnService               | Warning | a Gateway server port that no Service selecting the Gateway's workloads exposes as a port or targetPort (checked only where the input has such a Service) |
 * | IST0173 | DestinationRuleSubsetNotSelectPods           | Warning | Istio: Error. Workloads are often absent from offline input (scaled later, VMs), so we warn |
 * | IST0174 | UnknownDestinationRuleHost                   | Warning | a DestinationRule host no Service or ServiceEntry serves, or none visible where the rule is exported (wildcard hosts not judged; a cluster host of a namespace the input has no Services in is MZ0003) |
 * | IST0177 | ConflictingServiceEntryProtocol              | Warning | ServiceEntries visible together define one host and port with different protocols (as mizzen reads them): the host is served as one definition, the oldest |
 * | MZ0001  | DuplicateResource                            | Warning | one kind/namespace/name defined by several documents: applied in order, the last wins |
 * | MZ0002  | NamespaceNotFound                            | Warning | a referenced namespace does not exist (checked only when the input has Namespace objects) |
 * | MZ0003  | UnverifiedReference                          | Warning | a referenced host/gateway is missing, but the input describes nothing in its namespace to check against |
 * | MZ0004  | ConflictingGatewayVirtualServiceHosts        | Warning | a route of a VirtualService bound to a Gateway that is never reached because VirtualServices sharing its host merge into one route table (as istiod merges them: istiod's order of VirtualServices, catch-all routes last) and an earlier route of another takes every request it matches, such as a second default route for the host; splitting a host over several VirtualServices is not reported otherwise |
 * | MZ0005  | GatewaySelectorNoWorkload                    | Info    | no workload in the input matches a Gateway's selector; the gateway proxy is usually installed with the control plane, not in application YAML |
 * | MZ0006  | JwksHostNotInMesh                            | Warning | a RequestAuthentication jwksUri whose host:port no Service or ServiceEntry serves: Envoy cannot fetch the keys, tokens of that issuer are refused |
 * | MZ0007  | TelemetryProviderNotFound                    | Warning | a Telemetry names a provider the mesh config's extensionProviders lack (checked when the mesh config is known: the webhook, analyze --mesh-config) |
 * | MZ0008  | TelemetryTracingWithoutProvider              | Warning | a Telemetry tracing entry without providers where the mesh config has no default: it turns tracing off (checked when the mesh config is known) |
 * | MZ0009  | TracingCollectorNotInMesh                    | Warning | the tracing provider (zipkin, opentelemetry) a Telemetry traces with has a collector no Service or ServiceEntry serves: no tracer, no spans (checked when the mesh config is known) |
 * | MZ0010  | ExtAuthzProviderNotFound                     | Warning | a CUSTOM AuthorizationPolicy names no envoyExtAuthzHttp/Grpc provider of the mesh config: the requests it matches are denied (checked when the mesh config is known) |
 * | MZ0011  | ExtAuthzServiceNotInMesh                     | Warning | the service of a CUSTOM policy's provider is served by no Service or ServiceEntry: the requests it matches are denied (checked when the mesh config is known) |
 * | MZ0012  | AccessLogServiceNotInMesh                    | Warning | the gRPC access log service (envoyHttpAls, envoyTcpAls) a Telemetry logs to is served by no Service or ServiceEntry: no such log (checked when the mesh config is known) |
 * | MZ0013  | GatewayCredentialNotServed                   | Warning | a Gateway server names a credentialName, but the mesh config's workloadCertificateSecrets is off: no gateway can prove its identity, so none is served its Secrets (checked when the mesh config is known) |
 * | MZ0014  | GatewayCredentialNotFound                    | Warning | no Secret of that name, with a certificate and key, in a namespace of the gateway's workloads (checked only where the input has Secrets in that namespace) |
 * | MZ0015  | ProxyConfigNotApplied                        | Warning | a ProxyConfig that another takes the place of: a second one without a selector in a namespace, or one selecting a workload an older one selects; the oldest applies (as istiod), this one changes nothing there |
 * | MZ0016  | GatewayRouteParentNotServed                  | Warning | a Gateway API route (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute) parentRef that attaches the route nowhere: neither a core Service nor a Gateway API Gateway; a Gateway of another class than istio; or no listener of the Gateway that mizzen serves is picked by its sectionName / port, admits the route's kind (one its protocol carries: HTTPRoute and GRPCRoute on HTTP and HTTPS, TLSRoute on TLS passthrough, TLSRoute and TCPRoute on terminated TLS, TCPRoute on TCP; and allowedRoutes.kinds) and namespace (allowedRoutes), and shares a hostname with it. A route no parentRef attaches is not served and its rules are not checked; a ListenerSet parentRef: no such ListenerSet, not served, or none of its listeners takes the route |
 * | MZ0017  | GatewayRouteBackendInvalid                   | Warning | a backendRef (or RequestMirror backendRef) that is not a core Service, has no port, or points into another namespace where no ReferenceGrant allows it: its share of the traffic answers 500 (on a TLSRoute or TCPRoute, its share of the connections fails; a mirror gets nothing); not said of a backend that gets no traffic anyway (weight 0, a redirecting rule) |
 * | MZ0018  | GatewayRouteFilterNotApplied                 | Warning | a rule filter of a type mizzen does not apply (ExtensionRef, CORS, ...; URLRewrite and RequestRedirect on a GRPCRoute) or of no type: the requests the rule matches answer 500; a backendRef filter other than the header modifiers: its share answers 500. TLSRoutes and TCPRoutes take no filters: a rule's is ignored, as are a backendRef's header modifiers; another on a backendRef fails its share of the connections |
 * | MZ0019  | GatewayListenerNotServed                     | Warning | a listener of a Gateway API Gateway of class istio that mizzen leaves out: UDP (UDPRoutes are not served) and other protocols, HTTPS not terminated, TLS neither terminated nor passed through, HTTPS or terminated TLS whose certificateRefs[0] is missing, not a Secret or in another namespace where no ReferenceGrant allows it, a repeated listener name, no name, a port that is not one (served: HTTP; HTTPS and TLS terminated with a Secret the Gateway may use; TLS passthrough; TCP); likewise a ListenerSet's listener, all of them when the parent's allowedListeners refuse it, and one conflicting with a listener that comes first (the Gateway's, an older ListenerSet's) |
 * | MZ0020  | GatewayWithoutWorkload                       | Info    | a Gateway API Gateway of class istio that no workload of the input would serve: none matches the selector of the Service its Hostname address names, nor (without one) carries gateway.networking.k8s.io/gateway-name: <name>; mizzen deploys a gateway only with serve --deploy-gateways (checked only where the input has workloads in the Gateway's namespace) |
 * | MZ0021  | GatewayDeploymentInvalid                     | Warning | a Gateway API Gateway of class istio with no address or one IP, for which `serve --deploy-gateways` would deploy no gateway: its networking.istio.io/service-type is not ClusterIP, NodePort or LoadBalancer, its deployment name (<gateway>-<class>, or gateway.istio.io/name-override) is not a DNS label of at most 63 characters, the gateway pod its infrastructure annotations make fails injection, or its customization cannot be applied (a parametersRef that is no ConfigMap or names one the input lacks, an unsupported key, an overlay that is not YAML, does not merge or changes the objects' names or owners; in the parametersRef ConfigMap or the class defaults ConfigMap of mizzen-system); a parametersRef ConfigMap is MZ0003 where the input has no ConfigMap in the Gateway's namespace |
 * | MZ0022  | BackendTLSPolicyNotApplied                   | Warning | a BackendTLSPolicy targetRef that configures nothing (no such Service or ServiceEntry in the policy's namespace, another kind, a sectionName the target has no port of, another older policy holding the target), or a CA reference that does not resolve (no ConfigMap with a usable ca.crt, another kind), which makes the policy's traffic fail; an unknown wellKnownCACertificates (the system CAs are used) |
 * | MZ0023  | IngressNotServed                             | Warning | a part of an Ingress of Istio's class (mesh config ingressControllerMode, ingressClass; IngressClass controller istio.io/ingress-controller) that is not served, as Istio leaves it out: the default backend, a rule without http, a resource backend, a backend with no port number or name, a tls entry without secretName; a tls Secret that the input holds in the Ingress's namespace but not in istio-system, where the gateway reads it |
 * | MZ0024  | BackendTrafficPolicyNotApplied               | Warning | an XBackendTrafficPolicy targetRef that configures nothing (no such Service in the policy's namespace, another kind), or a field mizzen does not apply (sessionPersistence, as Istio) |
 *
 * Closed-world rule: a missing reference is only an Error when the input describes the namespace it lives in
 * (it has Services there, for hosts; Gateways or the referrer itself, for Istio gateways; Gateway API Gateways, for
 * a route's Gateway parentRef); otherwise MZ0003.
 * Selector checks run only for namespaces where the input has at least one workload (Pod, pod template, WorkloadEntry).
 */

export type Level = 'Error' | 'Warning' | 'Info';

export interface CodeInfo {
  code: string;
  name: string;
  level: Level;
  description: string;
}

const table = [
  ['IST0101', 'ReferencedResourceNotFound', 'Error', 'A resource being referenced does not exist.'],
  ['IST0102', 'NamespaceNotInjected', 'Info', 'A namespace does not ask for sidecar injection: only pods that ask for it themselves get one.'],
  ['IST0103', 'PodMissingProxy', 'Warning', 'A pod the webhook would inject runs no istio-proxy: it was created before injection was on, or while the webhook was unavailable.'],
  ['IST0106', 'SchemaValidationError', 'Error', 'The resource has a schema validation error.'],
  ['IST0107', 'MisplacedAnnotation', 'Warning', 'An Istio annotation is on a kind of resource it does not belong on, where nothing reads it.'],
  ['IST0108', 'UnknownAnnotation', 'Warning', 'An annotation of Istio\'s keys that Istio does not define: nothing reads it (often a misspelling).'],
  ['IST0109', 'ConflictingMeshGatewayVirtualServiceHosts', 'Error', 'VirtualServices bound to the mesh gateway claim the same host.'],
  ['IST0110', 'ConflictingSidecarWorkloadSelectors', 'Error', 'Sidecars select the same workload; a proxy takes the oldest, the others change nothing there.'],
  ['IST0111', 'MultipleSidecarsWithoutWorkloadSelectors', 'Error', 'More than one Sidecar in a namespace has no workload selector; only the oldest applies.'],
  ['IST0112', 'VirtualServiceDestinationPortSelectorRequired', 'Error', 'A destination host exposes several ports and the route does not pick one.'],
  ['IST0116', 'DeploymentAssociatedToMultipleServices', 'Warning', 'Services selecting the pods of a deployment in the mesh use the same port with different protocols.'],
  ['IST0118', 'PortNameIsNotUnderNamingConvention', 'Info', 'A Service port name does not start with a protocol; protocol sniffing applies.'],
  ['IST0123', 'NamespaceMultipleInjectionLabels', 'Warning', 'A namespace has several injection labels; the webhook follows one and ignores the others.'],
  ['IST0125', 'InvalidAnnotation', 'Warning', 'An Istio annotation has a value the injection webhook refuses or does not read.'],
  ['IST0127', 'NoMatchingWorkloadsFound', 'Warning', 'No workload matches the resource selector.'],
  ['IST0128', 'NoServerCertificateVerificationDestinationLevel', 'Warning', 'A DestinationRule originates TLS (SIMPLE, MUTUAL) with neither caCertificates nor credentialName: the server certificate is checked against the system CA bundle only, or not at all with insecureSkipVerify.'],
  ['IST0129', 'NoServerCertificateVerificationPortLevel', 'Warning', 'A DestinationRule port originates TLS (SIMPLE, MUTUAL) with neither caCertificates nor credentialName: the server certificate is checked against the system CA bundle only, or not at all with insecureSkipVerify.'],
  ['IST0130', 'VirtualServiceUnreachableRule', 'Warning', 'A VirtualService rule is never used: an earlier rule without matches, or earlier matches, take every request it matches.'],
  ['IST0131', 'VirtualServiceIneffectiveMatch', 'Info', 'A VirtualService match is never used: it repeats an earlier match, or an earlier match takes every request it matches.'],
  ['IST0132', 'VirtualServiceHostNotFoundInGateway', 'Warning', 'No host of a VirtualService is among the hosts of a Gateway it is bound to: that gateway serves none of its routes.'],
  ['IST0133', 'SchemaWarning', 'Warning', 'The resource has a schema validation warning.'],
  ['IST0134', 'ServiceEntryAddressesRequired', 'Warning', 'A TCP port of a ServiceEntry without addresses is served on 0.0.0.0 of its port, shared with every other service without addresses there: only one gets the traffic.'],
  ['IST0135', 'DeprecatedAnnotation', 'Info', 'A resource uses an annotation Istio has deprecated.'],
  ['IST0137', 'DeploymentConflictingPorts', 'Warning', 'Services selecting the pods of a deployment in the mesh reach the same targetPort through different ports.'],
  ['IST0138', 'GatewayDuplicateCertificate', 'Warning', 'Gateways on the same workloads present one certificate; clients that reuse HTTP/2 connections may get 404s.'],
  ['IST0145', 'ConflictingGateways', 'Error', 'Gateways on the same workloads serve one host with TLS on one port; only one server can get its connections.'],
  ['IST0149', 'JwtClaimBasedRoutingWithoutRequestAuthN', 'Error', 'A VirtualService routes on a JWT claim through a gateway whose workload no RequestAuthentication applies to: no token is verified, so the claim is not there to route on.'],
  ['IST0150', 'ExternalNameServiceTypeInvalidPortName', 'Warning', 'An ExternalName Service port is named tcp or has no protocol: the sidecars send every otherwise unclaimed TCP connection to that port to the external name.'],
  ['IST0151', 'EnvoyFilterUsesRelativeOperation', 'Warning', 'An EnvoyFilter without priority places, replaces or removes an element relative to others; its order against other EnvoyFilters is not set, so the patch may change nothing.'],
  ['IST0152', 'EnvoyFilterUsesReplaceOperationIncorrectly', 'Error', 'REPLACE is applied only to network, HTTP and listener filters and virtual hosts; elsewhere the patch changes nothing.'],
  ['IST0153', 'EnvoyFilterUsesAddOperationIncorrectly', 'Error', 'ADD is not applied to route configurations; the patch changes nothing.'],
  ['IST0154', 'EnvoyFilterUsesRemoveOperationIncorrectly', 'Error', 'REMOVE is not applied to route configurations; the patch changes nothing.'],
  ['IST0155', 'EnvoyFilterUsesRelativeOperationWithProxyVersion', 'Warning', 'An EnvoyFilter without priority patches relative to an element that a patch for one proxy version also patches; during an upgrade it may change nothing.'],
  ['IST0157', 'InvalidTelemetryProvider', 'Warning', 'A Telemetry access logging entry names no provider and the mesh config has no default one: it is ignored.'],
  ['IST0159', 'ConflictingTelemetryWorkloadSelectors', 'Warning', 'Telemetries select the same workload; all apply, oldest first, so which setting wins depends on their age.'],
  ['IST0160', 'MultipleTelemetriesWithoutWorkloadSelectors', 'Warning', 'More than one Telemetry in a namespace has no workload selector; only the oldest applies.'],
  ['IST0162', 'GatewayPortNotDefinedOnService', 'Warning', 'A Gateway listens on a port that no Service of its workloads exposes; traffic through the Service does not reach it.'],
  ['IST0173', 'DestinationRuleSubsetNotSelectPods', 'Warning', 'A DestinationRule subset selects no workload: requests routed to it fail with 503.'],
  ['IST0174', 'UnknownDestinationRuleHost', 'Warning', 'The host of a DestinationRule matches no Service or ServiceEntry: it configures no traffic.'],
  ['IST0177', 'ConflictingServiceEntryProtocol', 'Warning', 'ServiceEntries define one host and port with different protocols; the host is served as the oldest defines it.'],
  ['MZ0001', 'DuplicateResource', 'Warning', 'Several documents define the same resource; applied in order, the last one wins.'],
  ['MZ0002', 'NamespaceNotFound', 'Warning', 'A referenced namespace does not exist in the input.'],
  ['MZ0003', 'UnverifiedReference', 'Warning', 'A reference could not be resolved and the input holds nothing in its namespace to check it against.'],
  ['MZ0004', 'ConflictingGatewayVirtualServiceHosts', 'Warning', 'VirtualServices bound to one Gateway that share a host merge into one route table, and a route of one is never reached: an earlier route of another takes every request it matches.'],
  ['MZ0005', 'GatewaySelectorNoWorkload', 'Info', 'No workload in the input matches the Gateway selector.'],
  ['MZ0006', 'JwksHostNotInMesh', 'Warning', 'No Service or ServiceEntry serves the host and port of a jwksUri, so Envoy cannot fetch its keys.'],
  ['MZ0007', 'TelemetryProviderNotFound', 'Warning', 'A Telemetry names a provider that the mesh config does not define; that provider is ignored.'],
  ['MZ0008', 'TelemetryTracingWithoutProvider', 'Warning', 'A Telemetry tracing entry names no provider and the mesh config has no default one: tracing is off where it applies.'],
  ['MZ0009', 'TracingCollectorNotInMesh', 'Warning', 'No Service or ServiceEntry serves the collector of the tracing provider (zipkin, opentelemetry) a Telemetry traces with, so no spans are reported.'],
  ['MZ0010', 'ExtAuthzProviderNotFound', 'Warning', 'A CUSTOM AuthorizationPolicy names a provider the mesh config does not define as envoyExtAuthzHttp or envoyExtAuthzGrpc; the requests it matches are denied.'],
  ['MZ0011', 'ExtAuthzServiceNotInMesh', 'Warning', 'No Service or ServiceEntry serves the authorization service of a CUSTOM policy\'s provider; the requests it matches are denied.'],
  ['MZ0012', 'AccessLogServiceNotInMesh', 'Warning', 'No Service or ServiceEntry serves the gRPC access log service (envoyHttpAls, envoyTcpAls) a Telemetry logs to, so proxies send it nothing.'],
  ['MZ0013', 'GatewayCredentialNotServed', 'Warning', 'A Gateway names a credentialName, but gateways cannot prove their identity without the mesh config\'s workloadCertificateSecrets, so no gateway is served its Secrets.'],
  ['MZ0014', 'GatewayCredentialNotFound', 'Warning', 'No Secret of a Gateway\'s credentialName, with a certificate and key, exists in the namespace of the gateway workloads that serve it.'],
  ['MZ0015', 'ProxyConfigNotApplied', 'Warning', 'Another ProxyConfig takes this one\'s place: the oldest without a selector in a namespace, or the oldest selecting a workload, applies; this one changes nothing there.'],
  ['MZ0016', 'GatewayRouteParentNotServed', 'Warning', 'A Gateway API route parentRef attaches the route nowhere: not a Service, a Gateway of another class than istio, or no listener of the Gateway that mizzen serves takes the route (its protocol does not carry the route\'s kind, allowedRoutes do not admit it, or no hostname is shared). A ListenerSet parentRef likewise: no such ListenerSet, one mizzen does not serve, or none of its listeners takes the route.'],
  ['MZ0017', 'GatewayRouteBackendInvalid', 'Warning', 'A Gateway API route backend is not a core Service with a port, or is in another namespace where no ReferenceGrant allows it; its share of the traffic answers 500 (on a TLSRoute or TCPRoute, its share of the connections fails).'],
  ['MZ0018', 'GatewayRouteFilterNotApplied', 'Warning', 'A Gateway API route has a filter of a type mizzen does not apply: on a rule, the requests the rule matches answer 500; on a backendRef, its share of the traffic does. TLSRoutes and TCPRoutes take no filters: a rule\'s, and a backendRef\'s header modifiers, are ignored; any other on a backendRef fails its share of the connections.'],
  ['MZ0019', 'GatewayListenerNotServed', 'Warning', 'mizzen leaves out a listener of a Gateway API Gateway of class istio: it serves HTTP, HTTPS and TLS terminated with a Secret of the Gateway\'s namespace (or another, where a ReferenceGrant allows it), TLS passthrough and TCP, the first listener of each name. A ListenerSet\'s listener likewise, and all of them when the parent Gateway\'s allowedListeners refuse it, or one that conflicts with a listener that comes first.'],
  ['MZ0020', 'GatewayWithoutWorkload', 'Info', 'No workload in the input would serve a Gateway API Gateway of class istio; mizzen deploys a gateway proxy only with serve --deploy-gateways.'],
  ['MZ0021', 'GatewayDeploymentInvalid', 'Warning', 'mizzen serve --deploy-gateways would deploy no gateway for a Gateway API Gateway: its service type annotation, its deployment name, its gateway pod\'s annotations or its customization ConfigMaps are not valid.'],
  ['MZ0022', 'BackendTLSPolicyNotApplied', 'Warning', 'A BackendTLSPolicy target gets no TLS from it (not found, another kind, no such port, held by an older policy), or its CA reference does not resolve and the traffic it configures fails.'],
  ['MZ0023', 'IngressNotServed', 'Warning', 'A part of a Kubernetes Ingress of Istio\'s class is not served, as in Istio: the default backend, a rule without http paths, a backend that is not a Service with a port, a tls entry without secretName, or a tls Secret that is not in istio-system, where the ingress gateway reads it.'],
  ['MZ0024', 'BackendTrafficPolicyNotApplied', 'Warning', 'An XBackendTrafficPolicy target gets no retry budget from it (not a Service of the policy\'s namespace), or the policy sets a field mizzen does not apply (sessionPersistence, which Istio does not apply either).'],
] as const;

export type Code = (typeof table)[number][0];

export const CODES: Readonly<Record<Code, CodeInfo>> = Object.fromEntries(
  table.map(([code, name, level, description]) => [code, { code, name, level, description }]),
) as Record<Code, CodeInfo>;

export const LEVEL_ORDER: Readonly<Record<Level, number>> = { Error: 0, Warning: 1, Info: 2 };
