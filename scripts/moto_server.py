"""Runs moto (the local AWS emulator) in server mode on 127.0.0.1 with a free port.

Prints one JSON line on stdout once the server answers:
  {"endpoint": "http://127.0.0.1:PORT", "vpc": ..., "subnets": [...], "securityGroup": ...}
(the network part only with --network: a VPC, two subnets and a security group created
through moto's EC2 API, for services' awsvpc configuration; with --tenant-account ACCOUNT
too, "tenant": {"account", "roleArn", "vpc", "subnets", "securityGroup"}: the same network
made in that account, with the credentials of its role fargate-operator-tenant assumed
through STS, as a FargateTenant's objects see it). Then it serves until its stdin
closes (the parent exited or closed the pipe) or it gets SIGTERM/SIGINT, and stops the server.
"""

import argparse
import json
import os
import signal
import sys
import threading

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import logging  # noqa: E402

from moto.server import ThreadedMotoServer  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.ERROR)


def create_network(endpoint: str, region: str, credentials: dict | None = None) -> dict:
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region, **(credentials or {}))
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    # DNS hostnames on, as in a default VPC: moto's RunTask of an awsvpc task reads the
    # ENI's private DNS name, which it only sets with this attribute (it fails otherwise).
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{region}{az}")[
            "Subnet"
        ]["SubnetId"]
        for cidr, az in (("10.42.1.0/24", "a"), ("10.42.2.0/24", "b"))
    ]
    sg = ec2.create_security_group(
        GroupName="fargate-operator-tests", Description="tests", VpcId=vpc
    )["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "securityGroup": sg}


def create_tenant_network(endpoint: str, region: str, account: str) -> dict:
    import boto3

    role = f"arn:aws:iam::{account}:role/fargate-operator-tenant"
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region)
    creds = sts.assume_role(RoleArn=role, RoleSessionName="moto-setup")["Credentials"]
    credentials = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    return {"account": account, "roleArn": role,
            **create_network(endpoint, region, credentials)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--network", action="store_true")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--tenant-account")
    args = parser.parse_args()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    info = {"endpoint": endpoint}
    if args.network:
        info.update(create_network(endpoint, args.region))
        if args.tenant_account:
            info["tenant"] = create_tenant_network(endpoint, args.region, args.tenant_account)
    print(json.dumps(info), flush=True)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    def wait_stdin() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
