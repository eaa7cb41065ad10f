"""Sign one STS query-API request with botocore's own SigV4 signer, as boto3's STS client
signs it, and print it as JSON ({"headers": {...}, "body": "..."}) instead of sending it:
what someone holding a captured request (an IAM-auth scheme's token) would have.

Usage: sts_capture.py '{"endpoint": "http://127.0.0.1:8080", "body": "Action=GetCallerIdentity&Version=2011-06-15"}'
"""
import json
import sys

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest


def main() -> None:
    args = json.loads(sys.argv[1])
    creds = botocore.credentials.Credentials(
        args.get("access_key", "AKIAIOSFODNN7EXAMPLE"), args.get("secret_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    )
    request = AWSRequest(
        method="POST",
        url=args["endpoint"] + "/",
        data=args["body"],
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    botocore.auth.SigV4Auth(creds, "sts", args.get("region", "us-east-1")).add_auth(request)
    print(json.dumps({"headers": dict(request.headers.items()), "body": args["body"]}))


if __name__ == "__main__":
    main()
