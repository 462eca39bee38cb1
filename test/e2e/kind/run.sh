#!/usr/bin/env bash
# mizzen's kind end-to-end suite (`make e2e-kind`): a real cluster, real Envoy, Bookinfo.
#
#   create a kind cluster -> build the image and `kind load` it -> install the Gateway API CRDs ->
#   make manifests MTLS=1 (sidecar mTLS) -> kubectl apply -k manifests/rendered ->
#   label default istio-injection=enabled -> deploy Bookinfo -> run the assertions (dist/test/e2e/kind/assertions.js) -> clean up.
#
# Skips (exit 0, with a message saying why) where docker, a reachable Docker engine, kind or
# kubectl is missing. Environment:
#   MIZZEN_KIND_CLUSTER  cluster name (default mizzen-e2e; an existing cluster of that name is reused and kept)
#   MIZZEN_E2E_KEEP=1    keep the cluster afterwards
#   IMAGE                image tag (default: the Makefile's)
#   BOOKINFO_DIR         Bookinfo samples (default ../shared/samples/bookinfo)
#   GATEWAY_API_VERSION  the Gateway API release whose CRDs are installed (default v1.2.1; fetched from GitHub)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"

CLUSTER="${MIZZEN_KIND_CLUSTER:-mizzen-e2e}"
IMAGE="${IMAGE:-$(sed -n 's/^IMAGE ?= //p' Makefile)}"
BOOKINFO_DIR="${BOOKINFO_DIR:-$ROOT/../shared/samples/bookinfo}"
KEEP="${MIZZEN_E2E_KEEP:-0}"
GATEWAY_PORT="${GATEWAY_PORT:-18080}"
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-v1.2.1}"

skip() {
  echo "e2e-kind: SKIPPED: $* (the kind end-to-end suite needs docker with a running engine, kind and kubectl)"
  exit 0
}
log() { echo "e2e-kind: $*"; }

command -v docker >/dev/null 2>&1 || skip "docker is not installed"
command -v kind >/dev/null 2>&1 || skip "kind is not installed"
command -v kubectl >/dev/null 2>&1 || skip "kubectl is not installed"
docker info >/dev/null 2>&1 || skip "docker is installed but its engine is not reachable ('docker info' failed)"
[ -f "$BOOKINFO_DIR/platform/bookinfo.yaml" ] || { echo "e2e-kind: Bookinfo samples not found in $BOOKINFO_DIR (set BOOKINFO_DIR)" >&2; exit 1; }
[ -f dist/test/e2e/kind/assertions.js ] || { echo "e2e-kind: dist/ is not built; run 'make e2e-kind' (it builds first)" >&2; exit 1; }

CREATED=0
PF_PID=""
WORK="$(mktemp -d)"

cleanup() {
  local code=$?
  [ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null || true
  if [ "$code" -ne 0 ] && [ "$CREATED" = 1 ]; then
    log "failed (exit $code); mizzen's logs:"
    kubectl --context "kind-$CLUSTER" -n mizzen-system logs deploy/mizzen --tail=50 2>/dev/null || true
  fi
  if [ "$CREATED" = 1 ] && [ "$KEEP" != 1 ]; then
    log "deleting cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  elif [ "$CREATED" = 1 ]; then
    log "keeping cluster $CLUSTER (MIZZEN_E2E_KEEP=1); delete it with: kind delete cluster --name $CLUSTER"
  fi
  rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "reusing existing cluster $CLUSTER (it will be kept)"
else
  log "creating cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --wait 180s
  CREATED=1
fi
export KUBECONFIG="$WORK/kubeconfig"
kind get kubeconfig --name "$CLUSTER" >"$KUBECONFIG"

log "building $IMAGE"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "installing the Gateway API CRDs ($GATEWAY_API_VERSION, standard channel)"
kubectl apply --server-side -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$GATEWAY_API_VERSION/standard-install.yaml"

log "rendering manifests with sidecar mTLS (certificates in $WORK/certs)"
make manifests CERTS_DIR="$WORK/certs" MTLS=1

log "installing mizzen"
kubectl apply -k manifests/rendered
kubectl wait --for condition=established --timeout=60s crd --all
kubectl -n mizzen-system rollout status deployment/mizzen --timeout=180s

log "letting mizzen deploy gateways for Gateway API Gateways (manifests/gateway-deploy/, --deploy-gateways)"
kubectl apply -k manifests/gateway-deploy
kubectl -n mizzen-system patch deployment mizzen --type=json \
  -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--deploy-gateways"}]'
kubectl -n mizzen-system rollout status deployment/mizzen --timeout=180s

log "deploying Bookinfo into default (istio-injection=enabled)"
kubectl label namespace default istio-injection=enabled --overwrite
kubectl apply -f "$BOOKINFO_DIR/platform/bookinfo.yaml"
for d in details-v1 ratings-v1 reviews-v1 reviews-v2 reviews-v3 productpage-v1; do
  kubectl -n default rollout status "deployment/$d" --timeout=300s
done
kubectl -n istio-system rollout status deployment/istio-ingressgateway --timeout=180s
# kind has no load balancer: a LoadBalancer Service never gets an address there, and a Gateway it serves
# reports AddressNotAssigned (as in Istio). The suite reaches the gateway through a port-forward anyway.
kubectl -n istio-system patch service istio-ingressgateway -p '{"spec":{"type":"NodePort"}}'

kubectl -n istio-system port-forward svc/istio-ingressgateway "$GATEWAY_PORT:80" >"$WORK/port-forward.log" 2>&1 &
PF_PID=$!

log "running the assertions"
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT" BOOKINFO_DIR="$BOOKINFO_DIR" IMAGE="$IMAGE" node dist/test/e2e/kind/assertions.js

if [ "$CREATED" = 0 ]; then
  log "removing Bookinfo from the reused cluster"
  kubectl delete -f "$BOOKINFO_DIR/platform/bookinfo.yaml" -f "$BOOKINFO_DIR/platform/bookinfo-versions.yaml" --ignore-not-found >/dev/null
  kubectl delete -f "$BOOKINFO_DIR/networking/bookinfo-gateway.yaml" -f "$BOOKINFO_DIR/networking/destination-rule-all.yaml" --ignore-not-found >/dev/null
  kubectl label namespace default istio-injection- >/dev/null
fi
log "passed"
