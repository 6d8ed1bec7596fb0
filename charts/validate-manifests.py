#!/usr/bin/env python3
"""Validate rendered Kubernetes manifests offline against the Kubernetes JSON schemas.

Schemas come from the PyPI package kubernetes-validate (pinned in requirements-validate.txt),
which ships the OpenAPI-derived JSON schemas of Kubernetes 1.25-1.37 ("-strict" variants refuse
unknown fields). No network is used. Custom resources have no schema there: they are listed
in CRD_KINDS and skipped explicitly (their shape is asserted by charts/test/*.spec.ts); any
other kind without a schema is an error.

Usage: validate-manifests.py --kube-version 1.31.0 [--kube-version 1.35.0] FILE...
"""
import argparse
import sys

import yaml
from kubernetes_validate import utils

# Custom resources rendered by the chart (operators' CRDs, not in the Kubernetes schemas).
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("gateway.networking.k8s.io/v1", "GRPCRoute"),
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("kafka.strimzi.io/v1beta2", "KafkaUser"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kube-version", action="append", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    failures = 0
    checked = 0
    skipped = 0
    for filename in args.files:
        with open(filename, encoding="utf-8") as handle:
            docs = [d for d in yaml.safe_load_all(handle) if d]
        if not docs:
            print(f"ERROR {filename}: no objects rendered")
            failures += 1
        for doc in docs:
            api_version, kind = doc.get("apiVersion"), doc.get("kind")
            name = f"{kind}/{doc.get('metadata', {}).get('name')}"
            if (api_version, kind) in CRD_KINDS:
                skipped += 1
                continue
            for version in args.kube_version:
                try:
                    utils.validate(doc, version, strict=True)
                    checked += 1
                except utils.ValidationError as err:
                    path = ".".join(str(p) for p in err.path)
                    print(f"ERROR {filename} {name} (Kubernetes {version}): {path}: {err.message}")
                    failures += 1
                except utils.SchemaNotFoundError as err:
                    print(f"ERROR {filename} {name}: {err.message} (not a known CRD either)")
                    failures += 1
    print(
        f"kubernetes-validate {utils.__version__}: {checked} object checks passed, "
        f"{failures} failed, {skipped} custom resources skipped ({', '.join(sorted(k for _, k in CRD_KINDS))})"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
