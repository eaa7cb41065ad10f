"""Call the gate's STS API with boto3's own STS client, as an SDK user would.

Usage: sts.py '{"endpoint": "http://127.0.0.1:8080", "call": "get_session_token",
                "params": {...}, "access_key": ..., "secret_key": ..., "session_token": ...}'
Prints the response as JSON (datetimes as ISO 8601), or {"Error": {"Code", "Message"},
"Status"} when STS answers with an error.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main() -> None:
    args = json.loads(sys.argv[1])
    client = boto3.client(
        "sts",
        endpoint_url=args["endpoint"],
        region_name=args.get("region", "us-east-1"),
        aws_access_key_id=args.get("access_key", "AKIAIOSFODNN7EXAMPLE"),
        aws_secret_access_key=args.get("secret_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        aws_session_token=args.get("session_token"),
        # botocore checks DurationSeconds >= 900 itself; tests lower the gate's minimum
        # (sts.min_session_secs) to make short sessions, so that check is off here.
        config=Config(parameter_validation=False),
    )
    try:
        answer = getattr(client, args["call"])(**args.get("params", {}))
    except ClientError as e:
        answer = {"Error": e.response["Error"], "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    answer.pop("ResponseMetadata", None)
    print(json.dumps(answer, default=str))


if __name__ == "__main__":
    main()
