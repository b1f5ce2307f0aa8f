"""The official Kubernetes Python client against porch.kpt.dev: list the PackageRevisions of a
namespace, then watch them from the list's resourceVersion until the revision named on the
command line shows up as Proposed. Prints one JSON line per step; exits 0 when all went well.

usage: watch.py KUBECONFIG NAMESPACE NAME
"""
import json
import sys

from kubernetes import client, config, watch

kubeconfig, namespace, name = sys.argv[1:4]
api = client.CustomObjectsApi(config.new_client_from_config(config_file=kubeconfig))
listed = api.list_namespaced_custom_object("porch.kpt.dev", "v1alpha1", namespace, "packagerevisions")
print(json.dumps({"listed": sorted(i["metadata"]["name"] for i in listed["items"]),
                  "resourceVersion": listed["metadata"]["resourceVersion"]}), flush=True)
stream = watch.Watch().stream(api.list_namespaced_custom_object, "porch.kpt.dev", "v1alpha1", namespace,
                              "packagerevisions", resource_version=listed["metadata"]["resourceVersion"],
                              timeout_seconds=60)
for event in stream:
    obj = event["object"]
    print(json.dumps({"type": event["type"], "name": obj["metadata"]["name"],
                      "lifecycle": obj["spec"].get("lifecycle"),
                      "resourceVersion": obj["metadata"]["resourceVersion"]}), flush=True)
    if obj["metadata"]["name"] == name and obj["spec"].get("lifecycle") == "Proposed":
        sys.exit(0)
sys.exit("the watch ended before the revision was Proposed")
