"""The main job on the embedded default: a work team's whole life, no AWS account needed.

Starts the embedded endpoint on loopback, then drives the same core the Pulumi
provider and the CLI use: plan -> apply -> outputs -> plan again (in sync) ->
edit -> in-place update plan (one minimal UpdateWorkteam) -> apply -> delete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import contextmanager
from typing import Iterator

from provider.aws import AwsConfig, SageMakerGateway
from provider.reconcile.workteam import WorkteamReconciler
from provider.render import plan_text
from provider.specs.workteam import parse_workteam

__all__ = ["run_demo", "DEMO_WORKTEAM"]

DEMO_WORKTEAM = {
    "workteamName": "street-scenes",
    "description": "Labels street scenes for the perception model",
    "memberDefinitions": [
        {"cognitoMemberDefinition": {"userPool": "us-east-1_Demo1234", "userGroup": "labelers", "clientId": "demo-client"}}
    ],
    "notificationConfiguration": {"notificationTopicArn": "arn:aws:sns:us-east-1:123456789012:labeling-events"},
    "tags": {"team": "perception"},
}


@contextmanager
def _embedded_environment(url: str) -> Iterator[None]:
    """Dummy credentials scoped to this run: the embedded endpoint signs nothing it checks."""
    keys = {
        "AWS_ACCESS_KEY_ID": "embedded",
        "AWS_SECRET_ACCESS_KEY": "embedded",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": url,
    }
    saved = {k: os.environ.get(k) for k in (*keys, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(keys)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_demo(say: Callable[[str], None] = print) -> int:
    from provider.endpoint import start_endpoint  # moto is only needed here

    with start_endpoint() as endpoint, _embedded_environment(endpoint.url):
        say(f"embedded endpoint: {endpoint.url} (S3 and SageMaker, in memory)")
        reconciler = WorkteamReconciler(SageMakerGateway(AwsConfig()))
        spec = parse_workteam(DEMO_WORKTEAM)

        say("\n# 1. plan")
        plan, _ = reconciler.plan(spec)
        say(plan_text(plan))
        say("\n# 2. apply")
        outputs = reconciler.create(spec)
        say(json.dumps({k: outputs[k] for k in ("arn", "subdomain", "workforceArn")}, indent=2))

        say("\n# 3. plan again: nothing to do")
        plan, _ = reconciler.plan(spec)
        say(plan_text(plan))

        say("\n# 4. edit the description and a tag: an in-place update")
        edited = parse_workteam({**DEMO_WORKTEAM, "description": "Labels street scenes and signs",
                                 "tags": {"team": "perception", "stage": "pilot"}})
        plan, _ = reconciler.plan(edited)
        say(plan_text(plan))
        reconciler.update(edited)
        after, _ = reconciler.plan(edited)
        say(plan_text(after))

        say("\n# 5. destroy")
        reconciler.delete(spec.workteam_name)
        gone = reconciler.observe(spec.workteam_name) is None
        say(f"work team deleted: {gone}")
        return 0 if gone and not after.has_changes else 1
