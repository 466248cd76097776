"""Test controls: levers and gauges that are not part of the AWS API.

The same methods back both surfaces: in-process (``EmbeddedEndpoint`` inherits
them) and over HTTP under ``/_reconciler/``::

    GET    /_reconciler/requests       -> {"requests": [{"operation", "params", "region"}, ...]}
    DELETE /_reconciler/requests       -> {}                       forget the request log
    POST   /_reconciler/labeling-jobs  {"workteam_name", "job_name", "pending_human", "total",
                                        "region"?, "workers_per_data_object"?}
                                       -> {"LabelingJob": <LabelingJobForWorkteamSummary>}
    DELETE /_reconciler/labeling-jobs  -> {}                       remove every labeling job
    POST   /_reconciler/reset          -> {}                       forget everything, moto's state too
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from .exceptions import ServiceError, ValidationException
from .protocol import ACCOUNT_ID, DEFAULT_REGION, error_response, json_response
from .state import EndpointState, RecordedRequest
from .workteam_models import WorkteamBackend
from .workteam_responses import labeling_job_summary

__all__ = ["CONTROL_PREFIX", "EndpointControls", "control_response"]

CONTROL_PREFIX = "/_reconciler/"

Json = dict[str, Any]


class EndpointControls:
    """The test levers of one endpoint; every method takes the state lock, as requests do."""

    def __init__(self, state: EndpointState, reset_moto: Callable[[], None]):
        self._state = state
        self._reset_moto = reset_moto

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every SageMaker call received since the last reset, oldest first."""
        return self._state.requests()

    def clear_requests(self) -> None:
        self._state.clear_requests()

    def add_labeling_job(
        self,
        workteam_name: str,
        job_name: str,
        pending_human: int,
        total: int,
        region: str = DEFAULT_REGION,
        workers_per_data_object: int = 1,
    ) -> Json:
        """Assign a labeling job to an existing team, so that work is in progress; returns its summary."""
        with self._state.lock:
            backend = self._state.backend(WorkteamBackend, region)
            job = backend.add_labeling_job(workteam_name, job_name, pending_human, total, workers_per_data_object)
            return labeling_job_summary(job, ACCOUNT_ID)

    def clear_labeling_jobs(self) -> None:
        with self._state.lock:
            for backend in self._state.backends(WorkteamBackend):
                backend.clear_labeling_jobs()

    def reset(self) -> None:
        """Forget every resource and the request log, the endpoint's and moto's alike."""
        with self._state.lock:
            self._state.reset()
            self._reset_moto()


def control_response(controls: EndpointControls, request: Request) -> Response:
    """Answer one ``/_reconciler/...`` request."""
    route = (request.method, request.path.removeprefix(CONTROL_PREFIX).strip("/"))
    try:
        if route == ("GET", "requests"):
            return json_response({"requests": [entry.to_json() for entry in controls.requests]})
        if route == ("DELETE", "requests"):
            controls.clear_requests()
        elif route == ("POST", "labeling-jobs"):
            arguments = _bind(controls.add_labeling_job, _json_object(request))
            return json_response({"LabelingJob": controls.add_labeling_job(*arguments.args, **arguments.kwargs)})
        elif route == ("DELETE", "labeling-jobs"):
            controls.clear_labeling_jobs()
        elif route == ("POST", "reset"):
            controls.reset()
        else:
            return json_response({"message": f"no control {request.method} {request.path}"}, status=404)
    except ServiceError as error:
        return error_response(error)
    return json_response({})


def _bind(method: Callable[..., Any], arguments: Json) -> inspect.BoundArguments:
    """Check the JSON keys against the method's parameters before calling it."""
    try:
        return inspect.signature(method).bind(**arguments)
    except TypeError as error:
        raise ValidationException(str(error)) from error


def _json_object(request: Request) -> Json:
    try:
        body = json.loads(request.get_data() or b"{}")
    except json.JSONDecodeError as error:
        raise ValidationException(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ValidationException("the body must be a JSON object")
    return body
