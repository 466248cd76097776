"""The native Pulumi provider plugin ``pulumi-resource-sagemaker-reconciler``.

It serves Pulumi's ResourceProvider gRPC protocol (the protos the ``pulumi``
wheel ships) over the same core as the dynamic resources and the CLI, and adds
what the dynamic-provider protocol cannot carry: a per-property detailed diff
with drift labelled, ignoreChanges, request timeouts, import by id, and partial
failures so that a create that half-succeeded leaves no orphan.
"""
