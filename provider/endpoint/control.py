"""Test controls: levers and gauges that are not part of the AWS API.

The same methods back both surfaces: in-process (``EmbeddedEndpoint`` inherits
them) and over HTTP under ``/_reconciler/``; a JSON body's keys are the
method's parameters::

    GET    /_reconciler/requests       -> {"requests": [{"operation", "params", "region"}, ...]}
    DELETE /_reconciler/requests       -> {}                       forget the request log
    POST   /_reconciler/labeling-jobs  {"workteam_name", "job_name", "pending_human", "total",
                                        "region"?, "workers_per_data_object"?}
                                       -> {"LabelingJob": <LabelingJobForWorkteamSummary>}
    DELETE /_reconciler/labeling-jobs  -> {}                       remove every labeling job
    POST   /_reconciler/compilation-jobs/timing
                                       {"starting_seconds"?, "compiling_seconds"?, "stopping_seconds"?,
                                        "job_name"?}
                                       -> {"timing": {"starting_seconds", "compiling_seconds", "stopping_seconds"}}
    POST   /_reconciler/compilation-jobs/failures
                                       {"reason", "job_name"?}  -> {}   make a job FAIL with that reason
    GET    /_reconciler/clock          -> {"now": <epoch seconds>}
    POST   /_reconciler/clock          {"seconds"}  -> {"now": ...}     move the endpoint's time forward
    POST   /_reconciler/reset          -> {}                       forget everything, moto's state too

Errors come back in the AWS JSON shape (``{"__type": "ValidationException", "message": ...}``, HTTP 400).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from .compilation_job_models import CompilationJobBackend, CompilationJobSettings
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

    # --- compilation jobs ------------------------------------------------------------------------

    def set_compilation_timing(
        self,
        starting_seconds: float | None = None,
        compiling_seconds: float | None = None,
        stopping_seconds: float | None = None,
        job_name: str | None = None,
    ) -> dict[str, float]:
        """Seconds a compilation job spends STARTING, INPROGRESS and STOPPING; returns the resulting timing.

        Without ``job_name`` this changes the endpoint's default; with one, it overrides the default
        for jobs created with that name. Either way it applies to jobs created from now on; arguments
        left None keep their current value. ``reset()`` restores the defaults (0.2, 1.0, 0.2)."""
        with self._state.lock:
            settings = self._state.shared(CompilationJobSettings)
            timing = settings.set_timing(
                job_name,
                starting_seconds=starting_seconds,
                compiling_seconds=compiling_seconds,
                stopping_seconds=stopping_seconds,
            )
            return timing.to_json()

    def fail_compilation_job(self, reason: str, job_name: str | None = None) -> None:
        """Make a job end FAILED with ``FailureReason`` = ``reason`` when its compiling time is up.

        With ``job_name``: the running job of that name (in any region), or else the next job created
        with that name. Without: the next job created. Each call makes one job fail."""
        if not isinstance(reason, str) or not 1 <= len(reason) <= 1024:
            raise ValidationException("reason must be a string of 1 to 1024 characters (a FailureReason)")
        with self._state.lock:
            if job_name is not None:
                for backend in self._state.backends(CompilationJobBackend):
                    if backend.plan_failure(job_name, reason):
                        return
            self._state.shared(CompilationJobSettings).plant_failure(reason, job_name)

    # --- time ------------------------------------------------------------------------------------

    def now(self) -> float:
        """The endpoint's time in epoch seconds, as its resources see it."""
        return self._state.clock()

    def advance_clock(self, seconds: float) -> float:
        """Move the endpoint's time forward by ``seconds``, so jobs reach their next status without
        sleeping; returns the new now. ``reset()`` takes the clock back to its source."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
            raise ValidationException(f"seconds must be a number >= 0, got {seconds!r}")
        return self._state.advance_clock(seconds)

    def reset(self) -> None:
        """Forget every resource, setting and the request log, the endpoint's and moto's alike."""
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
        elif route == ("POST", "compilation-jobs/timing"):
            arguments = _bind(controls.set_compilation_timing, _json_object(request))
            return json_response({"timing": controls.set_compilation_timing(*arguments.args, **arguments.kwargs)})
        elif route == ("POST", "compilation-jobs/failures"):
            arguments = _bind(controls.fail_compilation_job, _json_object(request))
            controls.fail_compilation_job(*arguments.args, **arguments.kwargs)
        elif route == ("GET", "clock"):
            return json_response({"now": controls.now()})
        elif route == ("POST", "clock"):
            arguments = _bind(controls.advance_clock, _json_object(request))
            return json_response({"now": controls.advance_clock(*arguments.args, **arguments.kwargs)})
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
