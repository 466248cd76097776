"""observe -> plan -> act for one Workteam, over a gateway built by the caller.

The Pulumi provider, the CLI and the tests all drive this; none of them talks
to boto3 directly. `drift()`-style reads never write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagemaker_reconciler.aws import SageMakerGateway, resource_not_found
from sagemaker_reconciler.errors import Conflict, DeleteRefused, NotFound, RequiresReplacement, Vanished
from sagemaker_reconciler.plan.model import Action, ApiCall, Plan
from sagemaker_reconciler.plan.workteam import plan_workteam
from sagemaker_reconciler.specs.workteam import WorkteamSpec
from sagemaker_reconciler.specs.workteam_api import delete_request, describe_request, read_outputs, read_props

__all__ = ["Observed", "WorkteamReconciler", "workteam_not_found"]


def workteam_not_found(code: str, message: str) -> bool:
    """SageMaker answers a missing work team with ValidationException "The work team ... does not exist"
    (Describe, Update, Delete; the embedded endpoint answers the same), and a missing team's ARN in
    ListLabelingJobsForWorkteam with ResourceNotFound."""
    return resource_not_found(code, message) or (code == "ValidationException" and "does not exist" in message)


@dataclass(frozen=True)
class Observed:
    """A live work team: the raw DescribeWorkteam body and its tags."""

    workteam: dict[str, Any]
    tags: list[dict[str, str]] | None

    @property
    def props(self) -> dict[str, Any]:
        return read_props(self.workteam, self.tags)

    def spec_props(self) -> dict[str, Any]:
        """What a spec would have to say to match this team exactly (used by refresh and import)."""
        props = self.props
        props.pop("workteamArn")
        return props

    def outputs(self) -> dict[str, Any]:
        return read_outputs(self.workteam)


class WorkteamReconciler:
    def __init__(self, gateway: SageMakerGateway):
        self._aws = gateway

    def observe(self, name: str, *, tags: bool = True) -> Observed | None:
        """DescribeWorkteam, plus ListTags unless the caller does not manage tags (one call fewer)."""
        team = self._describe(name)
        if team is None:
            return None
        return Observed(team, self._aws.list_tags(team["WorkteamArn"], workteam_not_found) if tags else None)

    def plan(self, spec: WorkteamSpec) -> tuple[Plan, Observed | None]:
        observed = self.observe(spec.workteam_name, tags=spec.tags is not None)
        return plan_workteam(spec.to_props(), observed.props if observed else None), observed

    def create(self, spec: WorkteamSpec, call: ApiCall | None = None) -> dict[str, Any]:
        """CreateWorkteam. A name already taken by a team exactly like `spec` is adopted: an earlier
        create succeeded but its answer was lost (a dropped response retried by botocore, a run killed
        mid-call). A different team under that name is a Conflict that says how to adopt it.
        `call` is the plan's CreateWorkteam (a create plan's when not given): the request shown is the one sent."""
        call = call or plan_workteam(spec.to_props(), None).call("CreateWorkteam")
        assert call is not None  # a known spec always plans its create call
        try:
            self._aws.call(call.operation, spec.workteam_name, missing=workteam_not_found, **call.params)
        except Conflict as exc:
            existing = self.observe(spec.workteam_name, tags=spec.tags is not None)
            if existing is None:
                raise
            plan = plan_workteam(spec.to_props(), existing.props)
            if plan.action is not Action.NOOP:
                differs = ", ".join(change.property for change in plan.changes)
                raise Conflict(
                    exc.operation,
                    exc.code,
                    f"a work team named {spec.workteam_name!r} already exists; import it "
                    f"(pulumi import ... {spec.workteam_name}) or choose another workteamName "
                    f"(the live team differs in {differs})",
                    spec.workteam_name,
                ) from None
            return {**spec.to_props(), **existing.outputs()}
        return self._outputs(spec)

    def update(self, spec: WorkteamSpec) -> dict[str, Any]:
        """Bring the live team to `spec` with the minimal calls; refuses anything needing replacement."""
        plan, _ = self.plan(spec)
        if plan.action is Action.CREATE:
            raise Vanished(
                "UpdateWorkteam", "the work team no longer exists; refresh to recreate it", spec.workteam_name
            )
        if plan.action is Action.REPLACE:
            raise RequiresReplacement("Workteam", spec.workteam_name, plan.replaces)
        self.execute(plan)
        return self._outputs(spec)

    def execute(self, plan: Plan) -> None:
        for call in plan.calls:
            if call.operation == "DeleteWorkteam":
                self._delete_by_name(call.params["WorkteamName"])
            else:
                self._aws.call(call.operation, plan.name, missing=workteam_not_found, **call.params)

    def read(self, name: str) -> Observed | None:
        return self.observe(name)

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete unless labeling work is in progress (opt in with force); already gone is success."""
        team = self._describe(name)
        if team is None:
            return
        if not force:
            busy = [
                job["LabelingJobName"]
                for job in self._aws.labeling_jobs_for_workteam(team["WorkteamArn"])
                if (job.get("LabelCounters") or {}).get("PendingHuman", 0) > 0
            ]
            if busy:
                raise DeleteRefused(
                    f"work team {name!r} has {len(busy)} labeling job(s) with work in progress "
                    f"({', '.join(busy[:5])}); set forceDelete: true to delete it anyway"
                )
        self._delete_by_name(name)

    def _delete_by_name(self, name: str) -> None:
        try:
            self._aws.call("DeleteWorkteam", name, missing=workteam_not_found, **delete_request(name))
        except NotFound:
            pass

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            response = self._aws.call("DescribeWorkteam", name, missing=workteam_not_found, **describe_request(name))
        except NotFound:
            return None
        team: dict[str, Any] = response["Workteam"]
        return team

    def _outputs(self, spec: WorkteamSpec) -> dict[str, Any]:
        observed = self.observe(spec.workteam_name, tags=False)  # outputs carry no tags
        if observed is None:
            raise Vanished("DescribeWorkteam", "the work team vanished right after it was written", spec.workteam_name)
        return {**spec.to_props(), **observed.outputs()}
