"""An AWS-compatible endpoint on loopback, for demos and tests that have no AWS account.

moto's server answers S3 and every other service it knows; in front of it, this
package answers the SageMaker operations moto lacks or gets wrong (work teams;
compilation jobs with a real life cycle on the endpoint's clock, writing their
artifact to the endpoint's S3), with the service's validation and error codes.
Unmodified boto3 talks to it over HTTP::

    with start_endpoint() as endpoint:
        sagemaker = boto3.client("sagemaker", endpoint_url=endpoint.url, region_name="us-east-1",
                                 aws_access_key_id="testing", aws_secret_access_key="testing")

The region comes from the request signature; the account is always
123456789012. Test controls (request log, labeling jobs, compilation job timing
and failures, the clock, injected faults, the work team limit, reset) are
methods of the returned endpoint and also HTTP routes under ``/_reconciler/``
(see ``sagemaker_reconciler.endpoint.control``; faults: ``sagemaker_reconciler.endpoint.faults``)::

    endpoint.inject_fault("throttling", "CreateWorkteam", count=2)      # the next two attempts
    endpoint.inject_fault("unavailable", "DescribeWorkteam", probability=0.3, seed=7)
    endpoint.inject_fault("drop", "CreateWorkteam", count=1, phase="after")  # created, reply lost
    endpoint.inject_fault("slow", "HeadObject", service="s3", delay_seconds=2)
    [r.fault for r in endpoint.requests if r.operation == "CreateWorkteam"]  # ['throttling', 'throttling', None]

This is the only part of ``provider`` that imports moto (the ``test`` extra).
"""

from __future__ import annotations

from sagemaker_reconciler.errors import MissingExtra

try:
    from .server import EmbeddedEndpoint, serve_forever, start_endpoint
except ImportError as error:
    if (error.name or "").split(".")[0] not in {"moto", "werkzeug", "flask", "flask_cors"}:
        raise
    raise MissingExtra("The embedded endpoint", "endpoint", "moto[server]") from error

from .control import CONTROL_PREFIX
from .faults import FAULT_KINDS
from .protocol import ACCOUNT_ID, DEFAULT_REGION
from .state import WRITE_OPERATIONS, RecordedRequest

__all__ = [
    "ACCOUNT_ID",
    "CONTROL_PREFIX",
    "DEFAULT_REGION",
    "EmbeddedEndpoint",
    "FAULT_KINDS",
    "RecordedRequest",
    "serve_forever",
    "start_endpoint",
    "WRITE_OPERATIONS",
]
