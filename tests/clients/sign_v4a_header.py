"""Sign one S3 request in the Authorization header with SigV4a, as boto3 with awscrt does
(botocore's CRT signer), and print its headers as JSON, for a test to send raw.

Usage: sign_v4a_header.py '{"method": "GET", "url": "http://127.0.0.1:8080/b/k",
                            "access_key": "...", "secret_key": "...", "region_set": "*"}'
"""
import json
import sys

import botocore.auth  # noqa: F401  (first: botocore.crt.auth imports it back)
from botocore.crt.auth import CrtS3SigV4AsymAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main() -> None:
    args = json.loads(sys.argv[1])
    creds = Credentials(args["access_key"], args["secret_key"])
    request = AWSRequest(method=args["method"], url=args["url"], data=b"")
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    request.context["payload_signing_enabled"] = False
    CrtS3SigV4AsymAuth(creds, "s3", args.get("region_set", "*")).add_auth(request)
    print(json.dumps({k: v for k, v in request.headers.items()}))


if __name__ == "__main__":
    main()
