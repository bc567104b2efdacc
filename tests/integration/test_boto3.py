#!/usr/bin/env python3
"""boto3 against the real heraldd's SNS HTTP API, changing nothing but the
endpoint URL and the keys: the mobile-push flow with SigV4 signing by
botocore, and the errors SNS answers, as boto3 raises them.

Run by test_boto3.sh, which starts heraldd and sets HERALD_SNS_URL,
HERALD_KEY_ID / HERALD_SECRET (admin) and HERALD_PUB_ID / HERALD_PUB_SECRET
(publish only).  TAP output; exit status 1 if any check fails.
"""
import json
import os
import re
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["HERALD_SNS_URL"]
PREFIX = "arn:aws:sns:us-east-1:000000000000"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

n_tests = 0
n_failed = 0


def ok(cond, desc, detail=None):
    global n_tests, n_failed
    n_tests += 1
    if cond:
        print(f"ok {n_tests} - {desc}")
    else:
        n_failed += 1
        print(f"not ok {n_tests} - {desc}")
        if detail is not None:
            for line in str(detail).splitlines()[:20]:
                print(f"#   {line}")


def eq(got, want, desc):
    ok(got == want, desc, f"got:      {got!r}\nexpected: {want!r}")


def client(key_id, secret):
    # One attempt: an error must come back as SNS sends it, not after retries.
    return boto3.client("sns", endpoint_url=URL, region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def raises(fn, code, status, message, desc, exc_class=None):
    """fn() must raise ClientError with this code, HTTP status and message (None: any)."""
    try:
        fn()
    except ClientError as e:
        err = e.response["Error"]
        got = (err.get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"])
        ok(got == (code, status), f"{desc}: {code} {status}", f"got {got} {err}")
        if message is not None:
            eq(err.get("Message"), message, f"{desc}: SNS's message")
        if exc_class is not None:
            eq(type(e).__name__, exc_class, f"{desc}: boto3 raises {exc_class}")
        return
    ok(False, f"{desc}: {code} {status}", "no error raised")


sns = client(os.environ["HERALD_KEY_ID"], os.environ["HERALD_SECRET"])

# ---- platform application ----
r = sns.create_platform_application(
    Name="shop", Platform="GCM",
    Attributes={"PlatformCredential": '{"type": "service_account"}'})
app = r["PlatformApplicationArn"]
eq(app, f"{PREFIX}:app/GCM/shop", "CreatePlatformApplication returns the ARN")
eq(r["ResponseMetadata"]["HTTPStatusCode"], 200, "  HTTP 200")
ok(re.fullmatch(UUID, r["ResponseMetadata"]["RequestId"]) is not None, "  with a RequestId")

attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
ok("PlatformCredential" not in attrs, "GetPlatformApplicationAttributes never returns the credential",
   attrs)
sns.set_platform_application_attributes(PlatformApplicationArn=app,
                                        Attributes={"SuccessFeedbackSampleRate": "50"})
attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
eq(attrs.get("SuccessFeedbackSampleRate"), "50", "SetPlatformApplicationAttributes is read back")
apps = sns.list_platform_applications()["PlatformApplications"]
eq([a["PlatformApplicationArn"] for a in apps], [app], "ListPlatformApplications")
raises(lambda: sns.set_platform_application_attributes(PlatformApplicationArn=app,
                                                       Attributes={}),
       "ValidationError", 400,
       "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: "
       "Member must not be null",
       "SetPlatformApplicationAttributes with no attributes")

# ---- endpoints ----
r = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok-1",
                                 CustomUserData="user-1")
ep = r["EndpointArn"]
ok(re.fullmatch(f"{PREFIX}:endpoint/GCM/shop/{UUID}", ep) is not None,
   "CreatePlatformEndpoint returns an endpoint ARN", ep)
r = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok-1",
                                 CustomUserData="user-1")
eq(r["EndpointArn"], ep, "CreatePlatformEndpoint again with the same attributes: same ARN")
raises(lambda: sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok-1",
                                            CustomUserData="someone-else"),
       "InvalidParameter", 400,
       f"Invalid parameter: Token Reason: Endpoint {ep} already exists with the same Token, "
       "but different attributes.",
       "same Token, different attributes", "InvalidParameterException")
attrs = sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"]
eq((attrs.get("Token"), attrs.get("Enabled"), attrs.get("CustomUserData")),
   ("tok-1", "true", "user-1"), "GetEndpointAttributes")

off = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok-off")["EndpointArn"]
sns.set_endpoint_attributes(EndpointArn=off, Attributes={"Enabled": "false"})
eq(sns.get_endpoint_attributes(EndpointArn=off)["Attributes"]["Enabled"], "false",
   "SetEndpointAttributes Enabled=false is read back")

# pagination: 100 per page, NextToken only while more remain
for i in range(110):
    sns.create_platform_endpoint(PlatformApplicationArn=app, Token=f"bulk-{i:03d}")
page1 = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)
eq(len(page1["Endpoints"]), 100, "ListEndpointsByPlatformApplication: first page of 100")
ok("NextToken" in page1, "  with a NextToken")
page2 = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app,
                                                   NextToken=page1["NextToken"])
eq(len(page2["Endpoints"]), 12, "  second page: the other 12")
ok("NextToken" not in page2, "  and no NextToken on the last page")
arns = [e["EndpointArn"] for e in page1["Endpoints"] + page2["Endpoints"]]
eq(len(set(arns)), 112, "  no endpoint listed twice")
pages = sns.get_paginator("list_endpoints_by_platform_application").paginate(
    PlatformApplicationArn=app)
eq(sum(len(p["Endpoints"]) for p in pages), 112, "  boto3's paginator walks every page")
raises(lambda: sns.list_endpoints_by_platform_application(PlatformApplicationArn=app,
                                                          NextToken="not-a-token"),
       "InvalidParameter", 400, "Invalid parameter: NextToken", "a NextToken we did not issue")

# ---- topic and subscription ----
topic = sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"},
                         Tags=[{"Key": "team", "Value": "push"}])["TopicArn"]
eq(topic, f"{PREFIX}:orders", "CreateTopic with attributes and tags")
eq(sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("DisplayName"), "Orders",
   "GetTopicAttributes DisplayName")
sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Shop")
eq(sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("DisplayName"), "Shop",
   "SetTopicAttributes is read back")
eq(sns.list_tags_for_resource(ResourceArn=topic)["Tags"], [{"Key": "team", "Value": "push"}],
   "ListTagsForResource shows the tags given at creation")
eq([t["TopicArn"] for t in sns.list_topics()["Topics"]], [topic], "ListTopics")

sub = sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=ep,
                    Attributes={"FilterPolicy": '{"kind": ["order"]}',
                                "RawMessageDelivery": "false"},
                    ReturnSubscriptionArn=True)["SubscriptionArn"]
ok(re.fullmatch(f"{re.escape(topic)}:{UUID}", sub) is not None, "Subscribe returns the ARN", sub)
attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
eq((attrs.get("Protocol"), attrs.get("Endpoint"), json.loads(attrs.get("FilterPolicy", "null"))),
   ("application", ep, {"kind": ["order"]}), "GetSubscriptionAttributes")
sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                AttributeValue="true")
eq(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"].get("RawMessageDelivery"),
   "true", "SetSubscriptionAttributes is read back")
subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
eq([s["SubscriptionArn"] for s in subs], [sub], "ListSubscriptionsByTopic")
eq([s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]], [sub],
   "ListSubscriptions")

# ---- publish ----
msg = json.dumps({"default": "hi",
                  "GCM": json.dumps({"notification": {"title": "T", "body": "B"}}),
                  "APNS": json.dumps({"aps": {"alert": "hi"}})})
r = sns.publish(TargetArn=ep, MessageStructure="json", Message=msg, MessageAttributes={
    "AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "alert"},
    "AWS.SNS.MOBILE.FCM.TTL": {"DataType": "String", "StringValue": "3600"},
    "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    "kind": {"DataType": "String", "StringValue": "order"}})
ok(re.fullmatch(UUID, r["MessageId"]) is not None,
   "Publish to an endpoint, MessageStructure=json with AWS.SNS.MOBILE.* attributes", r)
r = sns.publish(TopicArn=topic, Message="to the topic", Subject="s",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}})
ok(re.fullmatch(UUID, r["MessageId"]) is not None, "Publish to a topic")
raises(lambda: sns.publish(TargetArn=off, Message="x"), "EndpointDisabled", 400,
       "Endpoint is disabled", "Publish to a disabled endpoint", "EndpointDisabledException")
raises(lambda: sns.publish(TargetArn=ep, MessageStructure="json", Message="not json"),
       "InvalidParameter", 400, None, "MessageStructure=json with a Message that is not JSON",
       "InvalidParameterException")
r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
    {"Id": "m1", "Message": "one",
     "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "7"}}},
    {"Id": "m2", "Message": "two", "Subject": "s"}])
eq(sorted(s["Id"] for s in r["Successful"]), ["m1", "m2"], "PublishBatch: both entries succeed")
eq(r.get("Failed"), [], "  none failed")
raises(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
    {"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}]),
    "BatchEntryIdsNotDistinct", 400, None, "PublishBatch with repeated Ids",
    "BatchEntryIdsNotDistinctException")

# ---- tags ----
sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "test"}])
tags = sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
eq(sorted((t["Key"], t["Value"]) for t in tags), [("env", "test"), ("team", "push")],
   "TagResource adds a tag")
sns.untag_resource(ResourceArn=topic, TagKeys=["team"])
eq(sns.list_tags_for_resource(ResourceArn=topic)["Tags"], [{"Key": "env", "Value": "test"}],
   "UntagResource removes it")

# ---- roles and signatures ----
pub = client(os.environ["HERALD_PUB_ID"], os.environ["HERALD_PUB_SECRET"])
ok(re.fullmatch(UUID, pub.publish(TopicArn=topic, Message="m")["MessageId"]) is not None,
   "a publish-only key may Publish")
raises(lambda: pub.create_topic(Name="nope"), "AuthorizationError", 403, None,
       "a publish-only key may not CreateTopic", "AuthorizationErrorException")
bad = client(os.environ["HERALD_KEY_ID"], os.environ["HERALD_SECRET"] + "x")
raises(lambda: bad.list_topics(), "SignatureDoesNotMatch", 403,
       "The request signature we calculated does not match the signature you provided. Check "
       "your AWS Secret Access Key and signing method. Consult the service documentation for "
       "details.", "a wrong secret")
unknown = client("AKIDNOSUCHKEY", os.environ["HERALD_SECRET"])
raises(lambda: unknown.list_topics(), "InvalidClientTokenId", 403,
       "The security token included in the request is invalid.", "an unknown access key")
other_region = boto3.client("sns", endpoint_url=URL, region_name="eu-west-1",
                            aws_access_key_id=os.environ["HERALD_KEY_ID"],
                            aws_secret_access_key=os.environ["HERALD_SECRET"],
                            config=Config(retries={"max_attempts": 1}))
raises(lambda: other_region.list_topics(), "SignatureDoesNotMatch", 403,
       "Credential should be scoped to a valid region, not 'eu-west-1'. ",
       "a client configured for another region")

# ---- deletes and NotFound ----
sns.unsubscribe(SubscriptionArn=sub)
eq(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"], [], "Unsubscribe")
sns.delete_endpoint(EndpointArn=ep)
raises(lambda: sns.get_endpoint_attributes(EndpointArn=ep), "NotFound", 404,
       "Endpoint does not exist", "GetEndpointAttributes after DeleteEndpoint",
       "NotFoundException")
sns.delete_endpoint(EndpointArn=ep)
ok(True, "DeleteEndpoint again succeeds (idempotent)")
sns.delete_topic(TopicArn=topic)
raises(lambda: sns.get_topic_attributes(TopicArn=topic), "NotFound", 404,
       "Topic does not exist", "GetTopicAttributes after DeleteTopic", "NotFoundException")
raises(lambda: sns.publish(TopicArn=topic, Message="x"), "NotFound", 404,
       "Topic does not exist", "Publish to a deleted topic", "NotFoundException")
sns.delete_platform_application(PlatformApplicationArn=app)
raises(lambda: sns.get_platform_application_attributes(PlatformApplicationArn=app),
       "NotFound", 404, "PlatformApplication does not exist",
       "GetPlatformApplicationAttributes after DeletePlatformApplication", "NotFoundException")
eq(sns.list_platform_applications()["PlatformApplications"], [], "no application is left")

print(f"1..{n_tests}")
if n_failed:
    print(f"# {n_failed} of {n_tests} failed")
sys.exit(1 if n_failed else 0)
