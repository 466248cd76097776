"""The plugin's own configuration: region, profile and endpoint, never a credential.

The stack config ``sagemaker-reconciler:region|profile|endpoint`` arrives in
CheckConfig/Configure (or an explicit ``Provider`` resource's inputs); whatever
is unset falls back to the standard AWS environment, exactly as the dynamic
resources and the CLI do. Credentials always come from the AWS chain at call
time, so none is accepted here, and nothing of this is secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagemaker_reconciler.errors import Violation
from sagemaker_reconciler.plan.model import UNKNOWN

__all__ = ["KEYS", "aws_config", "check_config", "from_variables"]

PACKAGE = "sagemaker-reconciler"
KEYS = ("region", "profile", "endpoint")
_ENGINE_KEYS = ("version", "pluginDownloadURL")
_CREDENTIALS = ("accessKey", "secretKey", "token", "accessKeyId", "secretAccessKey", "sessionToken")


def check_config(news: Mapping[str, Any]) -> list[Violation]:
    """What is wrong with the provider's inputs, each naming the key and the rule."""
    problems = []
    for key, value in news.items():
        if key in _ENGINE_KEYS or key.startswith("__") or value is UNKNOWN:
            continue
        if key in _CREDENTIALS:
            problems.append(
                Violation(
                    key,
                    "credentials are never configured here: they come from the standard "
                    "AWS chain (environment, profile, instance role)",
                )
            )
        elif key not in KEYS:
            problems.append(Violation(key, f"unknown configuration key; valid keys: {', '.join(KEYS)}"))
        elif not isinstance(value, str):
            problems.append(Violation(key, "must be a string"))
        elif key == "endpoint" and value and not value.startswith(("http://", "https://")):
            problems.append(Violation(key, "must be an http:// or https:// URL"))
    return problems


def from_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """Configure's ``variables`` (``sagemaker-reconciler:config:region``) -> ``{"region": ...}``."""
    out = {}
    for full_key, value in variables.items():
        namespace, _, key = full_key.partition(":config:")
        if namespace == PACKAGE and key in KEYS:
            out[key] = value
    return out


def aws_config(settings: Mapping[str, Any]) -> Any:
    """Plain settings -> the gateway's config; unset (or unknown) values fall back to the AWS environment."""

    from sagemaker_reconciler.aws import AwsConfig  # boto3: loaded with the core, not at start-up

    def get(key: str) -> str | None:
        value = settings.get(key)
        return value if isinstance(value, str) and value else None

    return AwsConfig(region=get("region"), profile=get("profile"), endpoint_url=get("endpoint"))
