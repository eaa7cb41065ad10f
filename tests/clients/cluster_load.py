"""Drive a fleet of gates with boto3-presigned URLs, for tests/cluster.rs.

Usage: cluster_load.py '{"mode": "load" | "verify" | "rate", ...}'

load:   {"front": URL, "sts_gate": URL, "seconds": 70, "threads": 6, "manifest": PATH,
         "bucket": B, "access_key": AK, "secret_key": SK, "seed": 1}
        Presigned PUTs of distinct objects (1 KiB to 16 MiB; the 16 MiB ones in three
        parts, presigned upload_part URLs between header-signed create and complete calls),
        each followed by a presigned GET of an object already written, checked by
        SHA-256. A fifth of the requests are signed with session credentials that
        GetSessionToken gave on `sts_gate`, and go through the front like the rest.
        Writes the acknowledged objects to `manifest` (one JSON line each, as they are
        acknowledged) and prints counts.
verify: {"gates": [URL, ...], "manifest": PATH, ...credentials}
        Reads every acknowledged object back through every gate; prints counts.
rate:   {"gates": [URL, ...], "seconds": 8, "threads": 8, ...credentials}
        Small presigned GETs spread over the first 1, 2, ... of the gates; prints
        requests/s for each fleet size.
"""
import hashlib
import json
import random
import sys
import threading
import time

import boto3
import urllib3
from botocore.config import Config

SIZES = [(1024, 40), (64 * 1024, 25), (1024 * 1024, 20), (4 * 1024 * 1024, 10), (16 * 1024 * 1024, 5)]
PART = 5 * 1024 * 1024


def client(endpoint, creds, service="s3"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["access_key"],
        aws_secret_access_key=creds["secret_key"],
        aws_session_token=creds.get("session_token"),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def body(size, seed):
    block = hashlib.sha256(str(seed).encode()).digest() * 2048
    return (block * (size // len(block) + 1))[:size]


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.data = {}

    def add(self, name, n=1):
        with self.lock:
            self.data[name] = self.data.get(name, 0) + n


def load(args):
    creds = {"access_key": args["access_key"], "secret_key": args["secret_key"]}
    sts = client(args["sts_gate"], creds, "sts")
    token = sts.get_session_token(DurationSeconds=3600)["Credentials"]
    session = {"access_key": token["AccessKeyId"], "secret_key": token["SecretAccessKey"],
               "session_token": token["SessionToken"]}
    bucket, deadline = args["bucket"], time.time() + args["seconds"]
    counts, written, lock = Counts(), [], threading.Lock()
    manifest = open(args["manifest"], "w")
    http = urllib3.PoolManager(maxsize=4, retries=False, timeout=urllib3.Timeout(connect=5, read=120))

    def worker(n):
        rnd = random.Random(args.get("seed", 1) * 1000 + n)
        users = {"user": client(args["front"], creds), "session": client(args["front"], session)}
        i = 0
        while time.time() < deadline:
            i += 1
            who = "session" if rnd.random() < 0.2 else "user"
            s3 = users[who]
            size = rnd.choices([s for s, _ in SIZES], [w for _, w in SIZES])[0]
            key = f"load/{n}/{i}-{size}"
            data = body(size, f"{n}-{i}")
            try:
                if size > 2 * PART:
                    ok = multipart(s3, http, bucket, key, data)
                else:
                    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)
                    r = http.request("PUT", url, body=data)
                    ok = r.status == 200
                    if not ok:
                        counts.add(f"put_status_{r.status}")
            except Exception as e:  # a connection the fleet broke off: in flight, not acknowledged
                counts.add("put_failed_in_flight")
                counts.add("error_" + type(e).__name__)
                continue
            if not ok:
                counts.add("put_refused")
                continue
            counts.add("put_acknowledged")
            counts.add(f"put_by_{who}")
            entry = {"key": key, "size": size, "sha256": hashlib.sha256(data).hexdigest()}
            with lock:
                written.append(entry)
                manifest.write(json.dumps(entry) + "\n")
                manifest.flush()
                pick = rnd.choice(written)
            try:
                url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": pick["key"]}, ExpiresIn=600)
                r = http.request("GET", url)
                if r.status == 200 and hashlib.sha256(r.data).hexdigest() == pick["sha256"]:
                    counts.add("get_verified")
                elif r.status == 200:
                    counts.add("get_wrong_bytes")
                else:
                    counts.add(f"get_status_{r.status}")
            except Exception as e:
                counts.add("get_failed_in_flight")
                counts.add("error_" + type(e).__name__)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.get("threads", 6))]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    manifest.close()
    out = dict(counts.data)
    out["seconds"] = round(time.time() - started, 1)
    out["bytes_acknowledged"] = sum(e["size"] for e in written)
    print(json.dumps(out))


def multipart(s3, http, bucket, key, data):
    """Create and complete header-signed; each part from a presigned upload_part URL."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    starts = list(range(0, len(data), PART))
    if len(starts) > 1 and len(data) - starts[-1] < PART:
        starts.pop()  # a short tail joins the last part: every part but the last is >= 5 MiB
    ends = starts[1:] + [len(data)]
    parts = []
    for number, (start, end) in enumerate(zip(starts, ends), 1):
        url = s3.generate_presigned_url(
            "upload_part", Params={"Bucket": bucket, "Key": key, "UploadId": upload, "PartNumber": number}, ExpiresIn=600
        )
        r = http.request("PUT", url, body=data[start:end])
        if r.status != 200:
            return False
        parts.append({"PartNumber": number, "ETag": r.headers["ETag"]})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    return True


def verify(args):
    creds = {"access_key": args["access_key"], "secret_key": args["secret_key"]}
    entries = [json.loads(line) for line in open(args["manifest"]) if line.strip()]
    http = urllib3.PoolManager(maxsize=4, retries=False, timeout=urllib3.Timeout(connect=5, read=120))
    out = {"objects": len(entries), "read_back": 0, "missing": [], "wrong_bytes": [], "errors": []}
    for gate in args["gates"]:
        s3 = client(gate, creds)
        for e in entries:
            url = s3.generate_presigned_url("get_object", Params={"Bucket": args["bucket"], "Key": e["key"]}, ExpiresIn=600)
            try:
                r = http.request("GET", url)
            except Exception as ex:
                out["errors"].append(f"{gate} {e['key']}: {ex}")
                continue
            if r.status == 404:
                out["missing"].append(f"{gate} {e['key']}")
            elif r.status != 200:
                out["errors"].append(f"{gate} {e['key']}: {r.status}")
            elif hashlib.sha256(r.data).hexdigest() != e["sha256"]:
                out["wrong_bytes"].append(f"{gate} {e['key']}")
            else:
                out["read_back"] += 1
    print(json.dumps(out))


def rate(args):
    creds = {"access_key": args["access_key"], "secret_key": args["secret_key"]}
    gates, seconds = args["gates"], args.get("seconds", 8)
    http = urllib3.PoolManager(maxsize=16, retries=False)
    first = client(gates[0], creds)
    key = "rate/one-kib"
    http.request("PUT", first.generate_presigned_url("put_object", Params={"Bucket": args["bucket"], "Key": key}),
                 body=body(1024, "rate"))
    out = {}
    for k in range(1, len(gates) + 1):
        # The URLs are made before the clock starts: this measures the fleet, not boto3.
        urls = [client(g, creds).generate_presigned_url("get_object", Params={"Bucket": args["bucket"], "Key": key})
                for g in gates[:k]]
        done, stop = Counts(), time.time() + seconds

        def hit(n):
            i = n
            while time.time() < stop:
                r = http.request("GET", urls[i % len(urls)])
                done.add("ok" if r.status == 200 else "other")
                i += 1

        threads = [threading.Thread(target=hit, args=(n,)) for n in range(args.get("threads", 8))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out[f"{k}_gates_requests_per_s"] = round(done.data.get("ok", 0) / seconds, 1)
        out[f"{k}_gates_not_ok"] = done.data.get("other", 0)
    print(json.dumps(out))


def main():
    args = json.loads(sys.argv[1])
    {"load": load, "verify": verify, "rate": rate}[args["mode"]](args)


if __name__ == "__main__":
    main()
