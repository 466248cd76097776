"""A SageMaker labeling work team of Cognito users, notified through an SNS topic.

Config (all optional): userPool, userGroup, clientId, description, topicName.
Exports: arn, subdomain (the labeling portal), topic_arn.
"""

import boto3
import pulumi
import pulumi.dynamic

from sagemaker_reconciler import Workteam


class TopicProvider(pulumi.dynamic.ResourceProvider):
    """The SNS topic through boto3, so this example needs nothing but sagemaker-reconciler.

    A stack that already uses pulumi-aws would write ``aws.sns.Topic`` instead.
    """

    def create(self, props):
        arn = boto3.client("sns").create_topic(Name=props["topicName"])["TopicArn"]
        return pulumi.dynamic.CreateResult(arn, {"topicName": props["topicName"], "arn": arn})

    def diff(self, id_, olds, news):
        renamed = olds["topicName"] != news["topicName"]
        return pulumi.dynamic.DiffResult(
            changes=renamed, replaces=["topicName"] if renamed else [], delete_before_replace=True
        )

    def delete(self, id_, props):
        boto3.client("sns").delete_topic(TopicArn=id_)


class Topic(pulumi.dynamic.Resource, module="sns", name="Topic"):
    arn: pulumi.Output[str]

    def __init__(self, name, topic_name, opts=None):
        super().__init__(TopicProvider(), name, {"topicName": topic_name, "arn": None}, opts)


config = pulumi.Config()
topic = Topic("labeling-events", config.get("topicName") or "labeling-events")

team = Workteam(
    "labelers",  # no workteam_name: the team is named "labelers-<random>"
    description=config.get("description") or "Labels street scenes for the perception model",
    member_definitions=[
        {
            "cognito_member_definition": {
                "user_pool": config.get("userPool") or "us-east-1_Example1",
                "user_group": config.get("userGroup") or "labelers",
                "client_id": config.get("clientId") or "example-client",
            },
        }
    ],
    notification_configuration={"notification_topic_arn": topic.arn},
    tags={"team": "perception"},
)

pulumi.export("arn", team.arn)
pulumi.export("subdomain", team.subdomain)
pulumi.export("topic_arn", topic.arn)
