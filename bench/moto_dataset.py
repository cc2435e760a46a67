"""Start moto (no IAM enforcement) with a listing dataset; print the endpoint; serve until stdin EOF.

usage: moto_dataset.py KEYS PREFIXES [BUCKET]
Keys are spread evenly over PREFIXES top-level prefixes: p000/k0000000 ... (bodies: 16 bytes).
"""
import os
import sys

import boto3
from moto.server import ThreadedMotoServer


def main():
    keys, prefixes = int(sys.argv[1]), int(sys.argv[2])
    bucket = sys.argv[3] if len(sys.argv) > 3 else "bench"
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
    s3.create_bucket(Bucket=bucket)
    from moto.s3.models import s3_backends

    backend = s3_backends["123456789012"]["aws"]
    for i in range(keys):
        backend.put_object(bucket, f"p{i % prefixes:03d}/k{i:07d}", b"0123456789abcdef")
    print(endpoint, flush=True)
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
