"""What each resource reports back beside its inputs (outputs), described once for schema.json.

The reconcilers build these values; their names are these models' fields
(``ResourceType.output_names()``), which every front end reads; these models also
say what each one is. Every output is always present; a value the service has not
reported (yet) is the empty string.
"""

from __future__ import annotations

from sagemaker_reconciler.specs._base import Model

__all__ = ["WorkteamOutputs", "CompilationJobOutputs"]


class WorkteamOutputs(Model):
    """Outputs of a Workteam."""

    arn: str
    """The work team's ARN."""
    subdomain: str
    """The URI of the labeling portal where the team's workers sign in."""
    create_date: str
    """When the team was created (ISO 8601)."""
    last_updated_date: str
    """When the team was last updated (ISO 8601)."""
    product_listing_ids: tuple[str, ...]
    """The AWS Marketplace product listing IDs of a vendor work team; empty for private teams."""
    workforce_arn: str
    """The ARN of the workforce the team belongs to."""


class CompilationJobOutputs(Model):
    """Outputs of a CompilationJob."""

    arn: str
    """The compilation job's ARN."""
    status: str
    """The job's status: `COMPLETED` once created (create waits for it)."""
    compiled_artifact_uri: str
    """The compiled model: the S3 URI of the artifact Neo wrote (a `file://` URI in local mode)."""
    artifact_digest: str
    """The digest of the compiled artifact (`ModelDigests.ArtifactDigest`)."""
    inference_image: str
    """The Neo inference container image that serves the compiled model, when the target has one."""
    failure_reason: str
    """Why the job failed; empty unless it did."""
    creation_time: str
    """When the job was created (ISO 8601)."""
    compilation_start_time: str
    """When compilation started (ISO 8601)."""
    compilation_end_time: str
    """When compilation ended (ISO 8601)."""
