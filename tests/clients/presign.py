"""Presign one S3 request with boto3, as a client of the gate would.

Usage: presign.py '{"endpoint": "http://127.0.0.1:8080", "method": "get_object",
                    "bucket": "b", "key": "k", "expires": 60, ...}'
Prints the URL. Optional keys: "addressing" ("path" | "virtual"), "signature_version"
("s3v4"), "region", "access_key", "secret_key", "params" (extra API parameters).
"""
import json
import sys

import boto3
from botocore.config import Config


def main() -> None:
    args = json.loads(sys.argv[1])
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": args.get("addressing", "path")},
    )
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
    url = client.generate_presigned_url(
        args["method"], Params=params, ExpiresIn=args.get("expires", 300), HttpMethod=args.get("http_method")
    )
    print(url)


if __name__ == "__main__":
    main()
