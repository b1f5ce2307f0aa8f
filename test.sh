#!/usr/bin/env bash
# Every test of porch-rs:
#   1. cargo test --workspace — unit, integration and end-to-end tests against the standalone
#      server; with ../shared/tools/k8s present, also the aggregated-mode tests
#      (e2e/tests/aggregated.rs) and the deployment manifests (e2e/tests/manifests.rs) against a
#      local kube-apiserver + etcd.
#   2. The whole e2e suite again, through that kube-apiserver (PORCH_E2E_MODE=aggregated): every
#      kubectl test with porch-server as the aggregated API server of porch.kpt.dev.
# Where ../shared/tools/k8s (or $PORCH_K8S_TOOLS) is absent, step 2 is skipped with a message.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

cargo test --workspace "$@"

tools="${PORCH_K8S_TOOLS:-$PWD/../shared/tools/k8s}"
if [ -x "$tools/start-control-plane.sh" ]; then
    echo "==> the e2e suite through kube-apiserver (PORCH_E2E_MODE=aggregated cargo test -p porch-e2e)"
    PORCH_E2E_MODE=aggregated cargo test -p porch-e2e "$@"
else
    echo "==> SKIPPED the e2e suite in aggregated mode: no $tools/start-control-plane.sh" \
        "(set PORCH_K8S_TOOLS to the folder of the control-plane tools)"
fi
