"""Test controls: levers and gauges that are not part of the AWS API.

The same methods back both surfaces: in-process (``EmbeddedEndpoint`` inherits
them) and over HTTP under ``/_reconciler/``; a JSON body's keys are the
method's parameters::

    GET    /_reconciler/requests       -> {"requests": [{"operation", "params", "region", "fault"?}, ...]}
                                       SageMaker calls; ?service=s3 for S3's, ?service=all for every call
                                       (those entries carry "service")
    DELETE /_reconciler/requests       -> {}                       forget the request log
    POST   /_reconciler/faults         {"kind", "operation"?, "service"?, "count"?, "probability"?, "seed"?,
                                        "delay_seconds"?, "phase"?, "match"?, "region"?, "code"?, "status"?,
                                        "message"?}  -> {"fault": {..., "id", "injected", "seen"}}
    GET    /_reconciler/faults         -> {"faults": [...]}        with how often each fired
    DELETE /_reconciler/faults         -> {}                       remove every fault (cuts delays short)
    DELETE /_reconciler/faults/<id>    -> {}                       remove one
    POST   /_reconciler/workteams/limit {"limit"}  -> {"limit"}    work teams allowed per region (default 25)
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
from .exceptions import ResourceNotFound, ServiceError, ValidationException
from .protocol import ACCOUNT_ID, DEFAULT_REGION, error_response, json_response
from .state import EndpointState, RecordedRequest
from .workteam_models import WorkteamBackend, WorkteamSettings
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

    @property
    def all_requests(self) -> list[RecordedRequest]:
        """Every call received since the last reset, S3's and other services' too (``service`` says which)."""
        return self._state.requests(service=None)

    def clear_requests(self) -> None:
        self._state.clear_requests()

    # --- faults ----------------------------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        operation: str = "*",
        *,
        service: str = "sagemaker",
        count: int | None = None,
        probability: float = 1.0,
        seed: int | None = 0,
        delay_seconds: float = 0.0,
        phase: str = "before",
        match: Json | None = None,
        region: str | None = None,
        code: str | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> Json:
        """Plant a fault (see ``sagemaker_reconciler.endpoint.faults``); returns it, with its ``id``.

        ``kind``: throttling | internal | unavailable | error (with ``code`` and ``status``) | slow
        (``delay_seconds``) | drop. It applies to requests of ``service`` (sagemaker or s3) whose
        operation is ``operation`` (``*``: any), in ``region`` if given, whose parameters include
        ``match``; to the next ``count`` of them (None: all, until cleared), each with ``probability``
        drawn from an RNG seeded with ``seed``. ``phase="after"`` lets the request take effect first
        and fails only its response."""
        fault = self._state.faults.add(
            kind,
            operation,
            service=service,
            count=count,
            probability=probability,
            seed=seed,
            delay_seconds=delay_seconds,
            phase=phase,
            match=match,
            region=region,
            code=code,
            status=status,
            message=message,
        )
        return fault.to_json()

    @property
    def faults(self) -> list[Json]:
        """The planted faults, with ``injected`` (times fired) and ``seen`` (matching requests)."""
        return self._state.faults.faults()

    def remove_fault(self, fault_id: int) -> None:
        if not self._state.faults.remove(fault_id):
            raise ResourceNotFound(f"there is no fault {fault_id}")

    def clear_faults(self) -> None:
        """Remove every fault; delays of slow faults in progress end at once."""
        self._state.faults.clear()

    # --- load tests ------------------------------------------------------------------------------

    def set_workteam_limit(self, limit: int) -> int:
        """Work teams allowed per account and region (the service's is 25), for load tests that need
        hundreds in one region; ``reset()`` restores 25. Returns the new limit."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationException(f"limit must be an integer >= 1, got {limit!r}")
        with self._state.lock:
            self._state.shared(WorkteamSettings).limit = limit
        return limit

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
        """Forget every resource, setting, fault and the request log, the endpoint's and moto's alike
        (the work team limit goes back to 25)."""
        with self._state.lock:
            self._state.reset()
            self._reset_moto()


def control_response(controls: EndpointControls, request: Request) -> Response:
    """Answer one ``/_reconciler/...`` request."""
    route = (request.method, request.path.removeprefix(CONTROL_PREFIX).strip("/"))
    try:
        if route == ("GET", "requests"):
            service = request.args.get("service", "sagemaker")
            entries = (
                controls.all_requests
                if service == "all"
                else [entry for entry in controls.all_requests if entry.service == service]
            )
            return json_response({"requests": [entry.to_json() for entry in entries]})
        if route == ("DELETE", "requests"):
            controls.clear_requests()
        elif route == ("POST", "faults"):
            arguments = _bind(controls.inject_fault, _json_object(request))
            return json_response({"fault": controls.inject_fault(*arguments.args, **arguments.kwargs)})
        elif route == ("GET", "faults"):
            return json_response({"faults": controls.faults})
        elif route == ("DELETE", "faults"):
            controls.clear_faults()
        elif route[0] == "DELETE" and route[1].startswith("faults/"):
            fault_id = route[1].removeprefix("faults/")
            if not fault_id.isdigit():
                raise ValidationException(f"not a fault id: {fault_id!r}")
            controls.remove_fault(int(fault_id))
        elif route == ("POST", "workteams/limit"):
            arguments = _bind(controls.set_workteam_limit, _json_object(request))
            return json_response({"limit": controls.set_workteam_limit(*arguments.args, **arguments.kwargs)})
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
