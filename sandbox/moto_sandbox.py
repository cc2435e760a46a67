"""Start a moto server on 127.0.0.1, seed the s3ro scenario's world, turn IAM enforcement on.

Prints one JSON line on stdout when ready:
  {"endpoint": "http://127.0.0.1:PORT", "region": ..., "ec2_service": {...}, "admin": {...}}
then serves until its standard input reaches end-of-file (the parent exited or closed the pipe),
so a crashed test run never leaves a moto server behind.

The world (see examples/iam/ for the documents):
  account 123456789012; bucket a10e-com-s3 (prefixes input/ and output/);
  roles S3ReadOnlyRole, SwitchOnlyRole, S3ListOnlyRole, S3GetOnlyRole;
  user sandbox-ec2-service: stands in for the EC2 service, which assumes the instance role
      for the IMDSv2 emulator (real EC2 needs no such user);
  user sandbox-admin: full access, for tests that add objects after enforcement is on.
"""

import argparse
import json
import os
import sys
import urllib.request

import boto3
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"
BUCKET = "a10e-com-s3"
ROLES = ["S3ReadOnlyRole", "SwitchOnlyRole", "S3ListOnlyRole", "S3GetOnlyRole"]

# Objects of the scenario: keys with spaces and non-ASCII characters on purpose.
OBJECTS = {
    "input/hello.txt": b"hello from a10e-com-s3\n",
    "input/report 2026.csv": b"id,value\n1,42\n2,43\n",
    "input/\u30c7\u30fc\u30bf.txt": "\u6771\u4eac\u30ea\u30fc\u30b8\u30e7\u30f3\u306e\u30c7\u30fc\u30bf\n".encode("utf-8"),
    "output/result.json": b'{"status": "ok"}\n',
    "output/summary+final.txt": b"a+b=c 100%\n",
}


def client(service, endpoint, region, key="seed", secret="seed"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def read_doc(iam_dir, name):
    with open(os.path.join(iam_dir, name), encoding="utf-8") as f:
        return f.read()


def seed(endpoint, region, iam_dir):
    iam = client("iam", endpoint, region)
    for role in ROLES:
        iam.create_role(
            RoleName=role,
            AssumeRolePolicyDocument=read_doc(iam_dir, f"{role}.trust.json"),
        )
        iam.put_role_policy(
            RoleName=role,
            PolicyName=f"{role}Policy",
            PolicyDocument=read_doc(iam_dir, f"{role}.policy.json"),
        )
        iam.create_instance_profile(InstanceProfileName=role)
        iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)

    users = {}
    policies = {
        "sandbox-ec2-service": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    # EC2 may assume any role whose trust policy allows it.
                    "Resource": f"arn:aws:iam::{ACCOUNT}:role/*",
                }
            ],
        },
        "sandbox-admin": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
    }
    for user, policy in policies.items():
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="sandbox", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        users[user] = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}

    s3 = client("s3", endpoint, region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=BUCKET)
    else:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return users


# Test fixtures (--fixtures): listing edge cases, many keys, versions.
LISTING_BUCKET = "s3ro-listing"
VERSIONS_BUCKET = "s3ro-versions"
EMPTY_BUCKET = "s3ro-empty"
BLOBS_BUCKET = "s3ro-blobs"
FIDELITY_KEYS = [
    "fid/a b.txt",
    "fid/plus+sign.txt",
    "fid/percent%41.txt",
    "fid/\u00fcber-\u6771\u4eac.txt",
    "fid//double-slash",
    "fid/[x]*?.txt",
    "fid/x&y=z;<a>\"'.txt",
    "fid/tab\there",
    "fid/ctl\x01char",
    "/leading-slash",
]
MARKERS = {"fid/dir/": b"", "fid/dir/inside.txt": b"x", "fid/nonempty-marker/": b"data"}


def seed_fixtures(endpoint, region):
    s3 = client("s3", endpoint, region)
    cfg = {"LocationConstraint": region} if region != "us-east-1" else None
    for b in (LISTING_BUCKET, VERSIONS_BUCKET, EMPTY_BUCKET, BLOBS_BUCKET):
        if cfg:
            s3.create_bucket(Bucket=b, CreateBucketConfiguration=cfg)
        else:
            s3.create_bucket(Bucket=b)
    objects = {}
    for i in range(1203):
        objects[f"many/k{i:04d}"] = str(i).encode() * (i % 7)
    for p in range(12):
        for j in range(5):
            objects[f"tree/p{p:02d}/obj{j}"] = b"t" * (p + j)
    objects["tree/p03.txt"] = b"between p03/ and p04/"
    objects["tree/a-first"] = b"before every prefix"
    objects["tree/z-last"] = b"after every prefix"
    objects["tree/p07/deep/er/key"] = b"deep"
    for k in FIDELITY_KEYS:
        objects[k] = k.encode("utf-8")
    objects.update(MARKERS)

    # Thousands of keys through HTTP take seconds; moto's own backend stores them at once.
    # (Buckets, versions and the scenario objects above still go through the S3 API.)
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    for key, body in objects.items():
        backend.put_object(LISTING_BUCKET, key, body)

    backend.put_object(BLOBS_BUCKET, "128k.bin", bytes(range(256)) * 512)
    seed_download_fixtures(s3)

    s3.put_bucket_versioning(Bucket=VERSIONS_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=VERSIONS_BUCKET, Key="doc.txt", Body=b"version one")
    s3.put_object(Bucket=VERSIONS_BUCKET, Key="doc.txt", Body=b"version two!")
    s3.put_object(Bucket=VERSIONS_BUCKET, Key="gone.txt", Body=b"soon deleted")
    s3.delete_object(Bucket=VERSIONS_BUCKET, Key="gone.txt")


def seed_download_fixtures(s3):
    """Objects for `get` tests in s3ro-blobs (bodies are deterministic, see each comment)."""
    import gzip

    b = BLOBS_BUCKET
    # 3 MiB of a repeating 251-byte pattern: ranged parts with --part-size 1.
    s3.put_object(Bucket=b, Key="big/3m.bin", Body=bytes(i % 251 for i in range(3 * 1024 * 1024)))
    # A multipart object (ETag "...-2"): 5 MiB of b"a" then 1 KiB of b"b".
    up = s3.create_multipart_upload(Bucket=b, Key="mp/multi.bin")
    parts = []
    for n, body in ((1, b"a" * (5 * 1024 * 1024)), (2, b"b" * 1024)):
        r = s3.upload_part(Bucket=b, Key="mp/multi.bin", PartNumber=n, UploadId=up["UploadId"], Body=body)
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    s3.complete_multipart_upload(
        Bucket=b, Key="mp/multi.bin", UploadId=up["UploadId"], MultipartUpload={"Parts": parts}
    )
    # Stored gzip-encoded: must be saved byte for byte, never decompressed.
    s3.put_object(Bucket=b, Key="gz/data.txt.gz", Body=gzip.compress(b"plain text\n" * 100),
                  ContentEncoding="gzip", ContentType="text/plain")
    s3.put_object(Bucket=b, Key="cold/glacier.bin", Body=b"frozen", StorageClass="GLACIER")
    s3.put_object(Bucket=b, Key="cold/instant.bin", Body=b"instant", StorageClass="GLACIER_IR")
    s3.put_object(Bucket=b, Key="zero/empty.txt", Body=b"")
    for key in ("tree/a b.txt", "tree/plus+%.txt", "tree/sub/deep.txt", "tree/sub/"):
        s3.put_object(Bucket=b, Key=key, Body=key.encode() if not key.endswith("/") else b"")
    for key in ("trav/ok.txt", "trav/../../evil.txt", "trav//abs.txt", "trav/./dot.txt",
                "trav/data-marker/"):
        s3.put_object(Bucket=b, Key=key, Body=b"data" if key.endswith("/") else key.encode())
    for key in ("clash/a", "clash/a/b", "clash/c"):
        s3.put_object(Bucket=b, Key=key, Body=key.encode())


def enforce_iam(endpoint):
    req = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(req) as resp:
        resp.read()


def quiet_request_log():
    """werkzeug logs every request on stderr; keep errors only."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--region", default="ap-northeast-1")
    ap.add_argument("--iam-dir", required=True, help="folder with the scenario's IAM documents")
    ap.add_argument("--no-enforce", action="store_true", help="leave IAM enforcement off")
    ap.add_argument("--fixtures", action="store_true", help="add the test fixture buckets")
    args = ap.parse_args()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    quiet_request_log()
    server.start()
    _, port = server.get_host_and_port()
    endpoint = f"http://127.0.0.1:{port}"
    users = seed(endpoint, args.region, args.iam_dir)
    if args.fixtures:
        seed_fixtures(endpoint, args.region)
    if not args.no_enforce:
        enforce_iam(endpoint)
    print(
        json.dumps(
            {
                "endpoint": endpoint,
                "region": args.region,
                "account": ACCOUNT,
                "bucket": BUCKET,
                "ec2_service": users["sandbox-ec2-service"],
                "admin": users["sandbox-admin"],
            }
        ),
        flush=True,
    )
    # Serve until the parent goes away (EOF on stdin).
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
