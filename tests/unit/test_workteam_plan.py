"""Planning a Workteam: minimal calls, set semantics, clearing, replacement, and invariants."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sagemaker_reconciler.plan import UNKNOWN, Action, plan_workteam
from sagemaker_reconciler.specs.workteam import parse_workteam
from sagemaker_reconciler.specs.workteam_api import read_props
from tests.unit.workteam_samples import TOPIC, cognito_team, describe_body, oidc_team

ARN = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x"


def observe(props, tags=None):
    tag_list = [{"Key": k, "Value": v} for k, v in (props.get("tags", {}) if tags is None else tags).items()]
    return read_props(describe_body(props, ARN), tag_list)


def plan(desired, live):
    return plan_workteam(parse_workteam(desired).to_props(), live)


def test_absent_team_plans_create_with_full_request():
    result = plan(cognito_team(), None)
    assert result.action is Action.CREATE
    assert [c.operation for c in result.calls] == ["CreateWorkteam"]
    assert result.calls[0].params["Tags"] == [{"Key": "team", "Value": "vision"}]


def test_description_change_is_one_update_with_only_name_and_description():
    result = plan(cognito_team(description="new words"), observe(cognito_team()))
    assert result.action is Action.UPDATE
    assert [c.to_dict() for c in result.calls] == [
        {"operation": "UpdateWorkteam", "params": {"WorkteamName": "team-a", "Description": "new words"}}
    ]
    assert [(c.property, c.old, c.new) for c in result.changes] == [
        ("description", "Labels street scenes", "new words")
    ]


def test_added_member_sends_the_whole_member_list():
    members = cognito_team()["memberDefinitions"] + [
        {
            "cognitoMemberDefinition": {
                "userPool": "us-east-1_AbCdEf123",
                "userGroup": "reviewers",
                "clientId": "client1",
            }
        }
    ]
    result = plan(cognito_team(memberDefinitions=members), observe(cognito_team()))
    (call,) = result.calls
    assert set(call.params) == {"WorkteamName", "MemberDefinitions"}
    assert len(call.params["MemberDefinitions"]) == 2


def test_removing_notification_clears_the_topic():
    desired = {k: v for k, v in cognito_team().items() if k != "notificationConfiguration"}
    result = plan(desired, observe(cognito_team()))
    assert result.calls[0].params == {"WorkteamName": "team-a", "NotificationConfiguration": {}}
    assert result.changes[0].old == {"notificationTopicArn": TOPIC} and result.changes[0].new is None


def test_removing_worker_access_disables_every_constraint():
    live = observe(
        cognito_team(workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"sourceIp": "Enabled"}}})
    )
    result = plan(cognito_team(), live)
    assert result.calls[0].params["WorkerAccessConfiguration"] == {
        "S3Presign": {"IamPolicyConstraints": {"SourceIp": "Disabled", "VpcSourceIp": "Disabled"}}
    }


def test_explicit_disabled_equals_absent():
    desired = cognito_team(workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"sourceIp": "Disabled"}}})
    assert plan(desired, observe(cognito_team())).action is Action.NOOP


def test_tags_change_uses_add_and_delete_tags_only():
    result = plan(
        cognito_team(tags={"team": "nlp", "cost": "42"}), observe(cognito_team(), tags={"team": "vision", "old": "x"})
    )
    assert [c.to_dict() for c in result.calls] == [
        {
            "operation": "AddTags",
            "params": {"ResourceArn": ARN, "Tags": [{"Key": "cost", "Value": "42"}, {"Key": "team", "Value": "nlp"}]},
        },
        {"operation": "DeleteTags", "params": {"ResourceArn": ARN, "TagKeys": ["old"]}},
    ]


def test_aws_reserved_tags_are_not_ours():
    live = read_props(
        describe_body(cognito_team(), ARN),
        [{"Key": "team", "Value": "vision"}, {"Key": "aws:cloudformation:stack", "Value": "s"}],
    )
    assert plan(cognito_team(), live).action is Action.NOOP


def test_workforce_change_forces_replacement_and_names_it():
    result = plan(oidc_team(workforceName="other"), observe(oidc_team()))
    assert result.action is Action.REPLACE
    assert result.replaces == ["workforceName"]
    assert [c.operation for c in result.calls] == ["DeleteWorkteam", "CreateWorkteam"]


def test_unmanaged_workforce_is_not_compared():
    desired = {k: v for k, v in oidc_team().items() if k != "workforceName"}
    assert plan(desired, observe(oidc_team())).action is Action.NOOP


def test_out_of_band_change_shows_as_drift_back_to_spec():
    live = observe(cognito_team(description="edited in the console"))
    result = plan(cognito_team(), live)
    assert result.calls[0].params == {"WorkteamName": "team-a", "Description": "Labels street scenes"}


def test_unknown_values_plan_a_change_without_calls():
    desired = parse_workteam(oidc_team()).to_props()
    desired["workforceName"] = UNKNOWN
    result = plan_workteam(desired, observe(oidc_team()))
    assert result.replaces == ["workforceName"] and result.calls == ()
    desired = {**parse_workteam(oidc_team()).to_props(), "description": UNKNOWN}
    result = plan_workteam(desired, observe(oidc_team()))
    assert result.action is Action.UPDATE and result.calls == ()


# --- properties -----------------------------------------------------------------------------

names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
group_names = st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1, max_size=20)
texts = st.text(min_size=1, max_size=200).filter(lambda s: not set(s) & set("\n\r\x85\u2028\u2029"))  # one line
tag_text = st.text(alphabet=st.sampled_from("abcXYZ019 _.:/=+-@é"), max_size=12)
tags = st.dictionaries(tag_text.filter(lambda k: 0 < len(k) and not k.lower().startswith("aws:")), tag_text, max_size=6)
oidc_members = st.lists(group_names, min_size=1, max_size=10, unique=True).map(
    lambda gs: [{"oidcMemberDefinition": {"groups": gs}}]
)
cognito_members = st.lists(names, min_size=1, max_size=10, unique=True).map(
    lambda groups: [
        {"cognitoMemberDefinition": {"userPool": "us-east-1_Pool1", "userGroup": g, "clientId": "client"}}
        for g in groups
    ]
)
constraint = st.sampled_from([None, "Enabled", "Disabled"])
specs = st.builds(
    lambda name, desc, members, t, topic, src, vpc: {
        "workteamName": name,
        "description": desc,
        "memberDefinitions": members,
        "tags": t,
        **({"notificationConfiguration": {"notificationTopicArn": TOPIC}} if topic else {}),
        "workerAccessConfiguration": {
            "s3Presign": {"iamPolicyConstraints": {k: v for k, v in (("sourceIp", src), ("vpcSourceIp", vpc)) if v}}
        },
    },
    names,
    texts,
    st.one_of(oidc_members, cognito_members),
    tags,
    st.booleans(),
    constraint,
    constraint,
)


def _shuffled(props, seed):
    rng = random.Random(seed)
    members = [dict(m) for m in props["memberDefinitions"]]
    for m in members:
        if "oidcMemberDefinition" in m:
            groups = list(m["oidcMemberDefinition"]["groups"])
            rng.shuffle(groups)
            m["oidcMemberDefinition"] = {"groups": groups}
    rng.shuffle(members)
    return {**props, "memberDefinitions": members}


@settings(max_examples=150, deadline=None)
@given(specs)
def test_any_valid_spec_diffs_clean_against_its_own_observed_form(props):
    assert plan(props, observe(props)).action is Action.NOOP


@settings(max_examples=150, deadline=None)
@given(specs, st.integers())
def test_reordering_set_like_lists_never_produces_a_change(props, seed):
    assert plan(_shuffled(props, seed), observe(props)).action is Action.NOOP
    assert plan(props, observe(_shuffled(props, seed))).action is Action.NOOP


@settings(max_examples=100, deadline=None)
@given(specs, texts)
def test_a_description_edit_is_exactly_one_minimal_update(props, new_description):
    result = plan({**props, "description": new_description}, observe(props))
    if new_description == props["description"]:
        assert result.action is Action.NOOP
    else:
        assert [c.to_dict() for c in result.calls] == [
            {
                "operation": "UpdateWorkteam",
                "params": {"WorkteamName": props["workteamName"], "Description": new_description},
            }
        ]
