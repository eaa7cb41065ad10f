"""Presign one S3 request with boto3, as a client of the gate would.

With awscrt installed, "signing": "default" leaves the signature to botocore's endpoint
rules (SigV4a for S3 on Outposts access-point ARNs, as the AWS CLI v2 signs); otherwise
the URL is SigV4 ("s3v4"), said explicitly in the client's config.

Usage: presign.py '{"endpoint": "http://127.0.0.1:8080", "method": "get_object",
                    "bucket": "b", "key": "k", "expires": 60, ...}'
Prints the URL; given a JSON list of such objects, prints one URL a line, in order.
Optional keys: "addressing" ("path" | "virtual"), "signing" ("default"), "region", "access_key", "secret_key", "params" (extra API parameters),
"signed_at" (Unix seconds: sign as if botocore's clock read that time).
"""
import json
import sys

import boto3
from botocore.config import Config

from clock import sign_at


def main() -> None:
    args = json.loads(sys.argv[1])
    for one in args if isinstance(args, list) else [args]:
        print(presign(one))


def presign(args: dict) -> str:
    if "signed_at" in args:
        sign_at(int(args["signed_at"]))
    s3 = {"addressing_style": args.get("addressing", "path")}
    if args.get("signing") == "default":
        config = Config(s3=s3)
    else:
        config = Config(signature_version="s3v4", s3=s3)
    client = boto3.client(
        "s3",
        endpoint_url=args.get("endpoint"),
        region_name=args.get("region", "us-east-1"),
        aws_access_key_id=args.get("access_key", "AKIAIOSFODNN7EXAMPLE"),
        aws_secret_access_key=args.get("secret_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        aws_session_token=args.get("session_token"),
        config=config,
    )
    params = {"Bucket": args["bucket"]}
    if "key" in args:
        params["Key"] = args["key"]
    params.update(args.get("params", {}))
    return client.generate_presigned_url(
        args["method"], Params=params, ExpiresIn=args.get("expires", 300), HttpMethod=args.get("http_method")
    )


if __name__ == "__main__":
    main()
