"""Make S3 calls with boto3, header-signed as its defaults do, and report each outcome.

Usage: s3_calls.py '{"endpoint": "http://127.0.0.1:8080", "access_key": "...", "secret_key": "...",
                     "calls": [{"op": "put_object", "params": {"Bucket": "b", "Key": "k"},
                                "body": {"size": 1024, "seed": 1}}, ...]}'

Optional top-level keys: "region", "addressing" ("path" | "virtual"), "signing" ("default":
botocore's endpoint rules, so SigV4a for Outposts access-point ARNs with awscrt; else "s3v4"),
"checksums" ("when_required" to turn off the default request checksums), "ca_file" (to
verify a TLS gate), "multipart_threshold" and "multipart_chunksize" (bytes, for upload_file),
"resolve_localhost" (send *.localhost names to 127.0.0.1, for access-point hosts),
"signed_at" (Unix seconds: sign as if botocore's clock read that time).

Each call is {"op": <client method, or "upload_file"/"download_file">, "params": {...}} with,
for uploads, "body": {"size": N, "seed": S} (deterministic bytes). Prints one JSON line per
call: {"ok": true, "status": 200, "sent": {...headers of the last request...}, ...fields}
or {"ok": false, "status": 403, "code": "AccessDenied", "sent": {...}}. A download reports
"size" and "sha256" of the bytes received.
"""
import hashlib
import io
import json
import os
import socket
import sys
import tempfile

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from clock import sign_at

SENT_HEADERS = [
    "authorization",
    "x-amz-content-sha256",
    "content-encoding",
    "x-amz-trailer",
    "x-amz-decoded-content-length",
    "content-length",
    "transfer-encoding",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc64nvme",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-region-set",
    "expect",
]


def body_bytes(spec: dict) -> bytes:
    size, seed = int(spec["size"]), int(spec.get("seed", 0))
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    reps = size // len(block) + 1
    return (block * reps)[:size]


def resolve_localhost() -> None:
    """Resolve every *.localhost name to the loopback, so virtual-host and access-point
    hosts (`ap-123456789012.op-….localhost`) reach a gate listening on 127.0.0.1."""
    original = socket.getaddrinfo

    def getaddrinfo(host, *rest, **kw):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return original(host, *rest, **kw)

    socket.getaddrinfo = getaddrinfo


def main() -> None:
    args = json.loads(sys.argv[1])
    if args.get("resolve_localhost"):
        resolve_localhost()
    if "signed_at" in args:
        sign_at(int(args["signed_at"]))
    s3cfg = {"addressing_style": args.get("addressing", "path")}
    kw = {"s3": s3cfg, "retries": {"max_attempts": 1}}
    if args.get("signing") != "default":
        kw["signature_version"] = "s3v4"
    if args.get("checksums") == "when_required":
        kw["request_checksum_calculation"] = "when_required"
        kw["response_checksum_validation"] = "when_required"
    client = boto3.client(
        "s3",
        endpoint_url=args.get("endpoint"),
        region_name=args.get("region", "us-east-1"),
        aws_access_key_id=args["access_key"],
        aws_secret_access_key=args["secret_key"],
        aws_session_token=args.get("session_token"),
        config=Config(**kw),
        verify=args.get("ca_file", True),
    )
    sent = {}

    def record(request, **_):
        sent.clear()
        for name in SENT_HEADERS:
            value = request.headers.get(name)
            if value is not None:
                sent[name] = value.decode() if isinstance(value, bytes) else str(value)
        if "authorization" in sent:
            sent["authorization"] = sent["authorization"].split(" ", 1)[0]

    client.meta.events.register("before-send.s3.*", record)
    transfer = TransferConfig(
        multipart_threshold=int(args.get("multipart_threshold", 8 * 1024 * 1024)),
        multipart_chunksize=int(args.get("multipart_chunksize", 8 * 1024 * 1024)),
        use_threads=False,
    )
    for call in args["calls"]:
        print(json.dumps(run(client, call, transfer, sent)), flush=True)


def run(client, call: dict, transfer, sent: dict) -> dict:
    op, params = call["op"], dict(call.get("params", {}))
    try:
        if op == "upload_file":
            data = body_bytes(call["body"])
            with tempfile.NamedTemporaryFile(delete=False) as f:
                f.write(data)
            try:
                client.upload_file(f.name, params["Bucket"], params["Key"], Config=transfer)
            finally:
                os.unlink(f.name)
            return {"ok": True, "status": 200, "sent": dict(sent)}
        if op == "download_file":
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "out")
                client.download_file(params["Bucket"], params["Key"], path, Config=transfer)
                data = open(path, "rb").read()
            return {"ok": True, "status": 200, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if "body" in call:
            data = body_bytes(call["body"])
            # A file-like body streams, as `upload_fileobj` and most callers pass one.
            params["Body"] = io.BytesIO(data) if call.get("stream") else data
        resp = getattr(client, op)(**params)
        out = {"ok": True, "status": resp["ResponseMetadata"]["HTTPStatusCode"], "sent": dict(sent)}
        if "Body" in resp:
            data = resp["Body"].read()
            out.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        for field in ["ETag", "KeyCount", "ChecksumCRC32", "ChecksumCRC64NVME", "ContentLength", "UploadId"]:
            if field in resp:
                out[field] = resp[field]
        if "Contents" in resp:
            out["Keys"] = [o["Key"] for o in resp["Contents"]]
        if "Parts" in resp:
            out["Parts"] = len(resp["Parts"])
        return out
    except ClientError as e:
        err = e.response.get("Error", {})
        return {
            "ok": False,
            "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "code": err.get("Code"),
            "message": err.get("Message"),
            "sent": dict(sent),
        }


if __name__ == "__main__":
    main()
