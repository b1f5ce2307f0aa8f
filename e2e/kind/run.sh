#!/usr/bin/env bash
# e2e/kind/run.sh [ARGS FOR cargo test...]
#
# Deploys porch-rs as Porch is deployed, the aggregated API server for porch.kpt.dev, into a kind
# cluster, and runs the e2e suite against it through kube-apiserver:
#   1. create a kind cluster (or reuse one of that name)
#   2. build the image from ./Dockerfile and load it into the cluster's node
#   3. apply the CRDs, wait until they are Established, then `kubectl apply -k manifests/`
#   4. wait for the Deployment to roll out and for APIService v1alpha1.porch.kpt.dev to be Available
#   5. PORCH_E2E_KUBECONFIG=<the cluster's kubeconfig> PORCH_E2E_GIT_HOST=<the kind network's
#      gateway> cargo test -p porch-e2e ARGS...
#   6. delete the cluster, unless KEEP_CLUSTER=1 or it existed before
#
# Needs docker, kind, kubectl and cargo on PATH. It never touches ~/.kube/config: the cluster's
# kubeconfig is written to a file of its own, printed at the start.
#
# Environment:
#   KIND_CLUSTER_NAME  the cluster (default porch-rs-e2e)
#   KIND_NODE_IMAGE    node image for `kind create cluster --image` (default: kind's own)
#   KEEP_CLUSTER=1     keep the cluster and its kubeconfig after the run, to look around
#   WAIT_TIMEOUT       how long to wait for the rollout and the APIService (default 300s)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="${KIND_CLUSTER_NAME:-porch-rs-e2e}"
KEEP="${KEEP_CLUSTER:-0}"
TIMEOUT="${WAIT_TIMEOUT:-300s}"
# The image manifests/deployment.yaml runs (imagePullPolicy IfNotPresent: the loaded one is used).
IMAGE="porch-rs/porch-server:latest"
NAMESPACE="porch-system"
APISERVICE="v1alpha1.porch.kpt.dev"
KUBECONFIG_FILE="${TMPDIR:-/tmp}/kind-${CLUSTER}.kubeconfig"

log() { printf '\n==> %s\n' "$*" >&2; }

for tool in docker kind kubectl cargo; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run.sh needs '$tool' on PATH" >&2; exit 1; }
done

# Every kubectl below talks to this cluster only.
export KUBECONFIG="$KUBECONFIG_FILE"

created=0
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -s "$KUBECONFIG_FILE" ]; then
        log "failed ($status): the state of $NAMESPACE"
        kubectl get all -n "$NAMESPACE" -o wide || true
        kubectl describe deployment/porch-server -n "$NAMESPACE" || true
        kubectl get apiservice "$APISERVICE" -o yaml || true
        kubectl logs deployment/porch-server -n "$NAMESPACE" --all-containers --tail=200 || true
        kubectl get events -n "$NAMESPACE" --sort-by=.lastTimestamp || true
    fi
    if [ "$created" = 1 ] && [ "$KEEP" != 1 ]; then
        log "deleting kind cluster $CLUSTER (KEEP_CLUSTER=1 keeps it)"
        kind delete cluster --name "$CLUSTER" || true
        rm -f "$KUBECONFIG_FILE"
    else
        log "cluster $CLUSTER kept; KUBECONFIG=$KUBECONFIG_FILE"
    fi
    exit "$status"
}
trap cleanup EXIT

# 1. The cluster.
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    log "reusing kind cluster $CLUSTER"
    kind get kubeconfig --name "$CLUSTER" > "$KUBECONFIG_FILE"
else
    log "creating kind cluster $CLUSTER (KUBECONFIG=$KUBECONFIG_FILE)"
    created=1
    kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" --wait 180s \
        ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi

# 2. The image, built from this checkout and copied into the node (no registry involved).
log "building $IMAGE"
DOCKER_BUILDKIT=1 docker build --tag "$IMAGE" "$ROOT"
log "loading $IMAGE into $CLUSTER"
kind load docker-image "$IMAGE" --name "$CLUSTER"

# 3. CRDs first, so that nothing applied after them meets an unknown kind.
log "applying manifests/"
kubectl apply -f "$ROOT/manifests/crds/"
kubectl wait --for=condition=Established --timeout=60s \
    crd/repositories.config.porch.kpt.dev crd/packagerevs.config.porch.kpt.dev
kubectl apply -k "$ROOT/manifests/"
# A reused cluster may run an older image under the same tag: start the pods again.
if [ "$created" = 0 ]; then
    kubectl rollout restart deployment/porch-server -n "$NAMESPACE"
fi

# 4. Serving: the pod is ready, and kube-apiserver reaches it through Service `api`.
log "waiting for deployment/porch-server and apiservice/$APISERVICE"
kubectl rollout status deployment/porch-server -n "$NAMESPACE" --timeout="$TIMEOUT"
kubectl wait --for=condition=Available --timeout="$TIMEOUT" apiservice/"$APISERVICE"
kubectl api-resources --api-group=porch.kpt.dev

# 5. The e2e suite, each test in a namespace of its own (see e2e/src/lib.rs). The pod cannot open
#    this machine's file:// paths nor its 127.0.0.1: the suite serves its git remotes with
#    git daemon on every interface and names them by the kind network's gateway, which is this
#    machine as the cluster's nodes see it (PORCH_E2E_GIT_HOST, e2e/src/git.rs).
GIT_HOST="${PORCH_E2E_GIT_HOST:-$(docker network inspect kind -f '{{range .IPAM.Config}}{{if .Gateway}}{{.Gateway}} {{end}}{{end}}' | tr ' ' '\n' | grep -E '^[0-9]+\.' | head -n1)}"
log "cargo test -p porch-e2e $* (git remotes served on $GIT_HOST)"
cd "$ROOT"
PORCH_E2E_KUBECONFIG="$KUBECONFIG_FILE" PORCH_E2E_GIT_HOST="$GIT_HOST" cargo test -p porch-e2e "$@"
