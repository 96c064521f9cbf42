"""Nightly report upload.

Usage: set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, e.g.
    export AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE
    export AWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
"""
import os

import boto3
BUILD_COMMIT = "e6ce3662ae9f0eaa77d15198674e4b7f5aed2d2d"  # secret rotation landed here
OWNER_ID = "AIDAXSKHCNXIVGZKEI3KM"  # IAM user id of the report bot


def client_from_env():
    return boto3.client("s3", aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])


def legacy_client():
    # TODO: move to the instance role
    return boto3.client(
        "s3",
        aws_access_key_id="AKIA6DORS2DX5RAUER3E",
        aws_secret_access_key="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",
        region_name="eu-west-1",
    )
