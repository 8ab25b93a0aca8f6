#!/usr/bin/env python3
"""Cross-reference checks on a rendered overlay that schema validation cannot make.

    check_manifests.py --repo ROOT RENDERED.yaml [--external NAME[=EXAMPLE.yaml]]...

kubernetes-validate checks each object against the API schema; this checks that the
objects fit together and follow the rules in deploy/README.md: every referenced
ConfigMap, Secret, ServiceAccount and port exists; Services, PodDisruptionBudgets,
NetworkPolicies and the HorizontalPodAutoscaler select real pods; pods are hardened and
sized; the configuration file names only keys that libs/config/src/lib.rs defines, and
its ports and addresses agree with the containers and Services. It also checks that
docs/configuration.md documents every key.

--external names a Secret the operator creates outside the overlay; EXAMPLE.yaml, if
given, is its documented shape, whose keys must cover every key the pods read.
Exits 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

WORKLOADS = {"Deployment", "StatefulSet", "Job", "CronJob"}
KNOWN_KINDS = WORKLOADS | {
    "ConfigMap", "Secret", "Service", "ServiceAccount", "PodDisruptionBudget",
    "HorizontalPodAutoscaler", "NetworkPolicy",
}
ROLES = ("gateway", "accounts", "membership", "notices")
PART_OF = "app.kubernetes.io/part-of"

problems: list[str] = []


def problem(where: str, text: str) -> None:
    problems.append(f"{where}: {text}")


# --- configuration keys, from the Rust source --------------------------------------------

def config_keys(lib_rs: Path) -> set[str]:
    """Dotted keys of `Config`, read from its `pub struct ... { pub field: Type }` items."""
    source = lib_rs.read_text()
    structs: dict[str, list[tuple[str, str]]] = {}
    for name, body in re.findall(r"pub struct (\w+) \{(.*?)\n\}", source, re.S):
        structs[name] = re.findall(r"^\s*pub (\w+): ([^,\n]+),", body, re.M)

    keys: set[str] = set()

    def walk(struct: str, prefix: str) -> None:
        for field, ty in structs.get(struct, []):
            ty = ty.strip()
            if ty in structs:
                walk(ty, f"{prefix}{field}.")
            else:
                keys.add(prefix + field)

    walk("Config", "")
    return keys


def renamed_keys(duration_rs: Path) -> dict[str, str]:
    """Old `*_ms` key -> the duration key that replaced it (libs/config's RENAMED)."""
    pairs = re.findall(r'\("([\w.]+)", "([\w.]+)"\)', duration_rs.read_text())
    return {old: new for new, old in pairs}


def seconds(value: object) -> float:
    """A humantime duration (`25s`, `1m 30s`, `500ms`) in seconds."""
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+)\s*([a-z]+)", str(value))
    if str(value).strip() == "0":
        return 0.0
    if not parts:
        raise ValueError(f"not a duration: {value!r}")
    return sum(int(n) * units[unit] for n, unit in parts)


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def env_key(name: str) -> str:
    """BAILIFF_SERVER_NOTICES__LOCAL_PART -> server_notices.local_part"""
    return name.removeprefix("BAILIFF_").lower().replace("__", ".")


# --- helpers over the rendered objects ----------------------------------------------------

def pod_spec(obj: dict) -> dict:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def pod_labels(obj: dict) -> dict:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"].get("labels", {})


def selects(selector: dict, labels: dict) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        present = expr["key"] in labels
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def container_ports(spec: dict) -> dict[str, int]:
    ports = {}
    for container in spec["containers"]:
        for port in container.get("ports", []):
            if "name" in port:
                ports[port["name"]] = port["containerPort"]
    return ports


def port_number(spec: dict, port: object) -> int | None:
    if isinstance(port, int):
        return port
    return container_ports(spec).get(str(port))


def name_of(obj: dict) -> str:
    return f'{obj["kind"]}/{obj["metadata"]["name"]}'


# --- the checks ---------------------------------------------------------------------------

def check(objs: list[dict], repo: Path, externals: dict[str, Path | None]) -> None:
    by_kind: dict[str, dict[str, dict]] = {}
    for obj in objs:
        kind = obj.get("kind")
        if kind not in KNOWN_KINDS:
            problem(str(kind), "unexpected kind (no schema check is made for it)")
            continue
        by_kind.setdefault(kind, {})[obj["metadata"]["name"]] = obj

    configmaps = by_kind.get("ConfigMap", {})
    secrets = by_kind.get("Secret", {})
    accounts = by_kind.get("ServiceAccount", {})
    workloads = [o for k in WORKLOADS for o in by_kind.get(k, {}).values()]
    deployments = by_kind.get("Deployment", {})
    ours = {n: d for n, d in deployments.items() if pod_labels(d).get(PART_OF) == "bailiff"}

    # Secret keys the pods read, for comparing with the example of an external Secret.
    secret_keys_read: dict[str, set[str]] = {}

    def secret_ref(where: str, name: str, key: str | None = None) -> None:
        if key is not None:
            secret_keys_read.setdefault(name, set()).add(key)
        if name not in secrets and name not in externals:
            problem(where, f"Secret {name} is neither rendered nor declared external")

    def configmap_ref(where: str, name: str) -> None:
        if name not in configmaps:
            problem(where, f"ConfigMap {name} is not rendered")

    # Pods: references, hardening, sizing.
    for obj in workloads:
        where = name_of(obj)
        spec = pod_spec(obj)
        bailiff = pod_labels(obj).get(PART_OF) == "bailiff"
        security = spec.get("securityContext", {})
        if security.get("runAsNonRoot") is not True:
            problem(where, "pod securityContext.runAsNonRoot is not true")
        if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problem(where, "pod seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problem(where, "automountServiceAccountToken is not false")
        if spec.get("enableServiceLinks") is not False:
            problem(where, "enableServiceLinks is not false (service links inject BAILIFF_* variables)")
        account = spec.get("serviceAccountName")
        if account is not None and account not in accounts:
            problem(where, f"ServiceAccount {account} is not rendered")
        if bailiff and account != "bailiff":
            problem(where, "does not run as the bailiff ServiceAccount")

        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for claim in obj["spec"].get("volumeClaimTemplates", []):
            volumes[claim["metadata"]["name"]] = {"name": claim["metadata"]["name"]}
        for volume in volumes.values():
            if "configMap" in volume:
                configmap_ref(where, volume["configMap"]["name"])
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                items = volume["secret"].get("items")
                if items:
                    for item in items:
                        secret_ref(where, name, item["key"])
                else:
                    secret_ref(where, name)
                    secret_keys_read.setdefault(name, set())
        for container in spec.get("initContainers", []) + spec["containers"]:
            cwhere = f'{where} container {container["name"]}'
            csec = container.get("securityContext", {})
            if csec.get("readOnlyRootFilesystem") is not True:
                problem(cwhere, "readOnlyRootFilesystem is not true")
            if csec.get("allowPrivilegeEscalation") is not False:
                problem(cwhere, "allowPrivilegeEscalation is not false")
            if "ALL" not in csec.get("capabilities", {}).get("drop", []):
                problem(cwhere, "does not drop ALL capabilities")
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(part, {}):
                        problem(cwhere, f"no {part}.{resource}")
            image = container["image"]
            last = image.rsplit("/", 1)[-1]
            if "@" not in last and (":" not in last or last.endswith(":latest")):
                problem(cwhere, f"image {image} is not pinned to a tag or digest")
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volumes:
                    problem(cwhere, f"mounts undefined volume {mount['name']}")
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    configmap_ref(cwhere, source["configMapRef"]["name"])
                if "secretRef" in source:
                    secret_ref(cwhere, source["secretRef"]["name"])
            for env in container.get("env", []):
                ref = env.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    secret_ref(cwhere, ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
                if "configMapKeyRef" in ref:
                    configmap_ref(cwhere, ref["configMapKeyRef"]["name"])

    # The configuration file against the code, the docs, the containers and the Services.
    known = config_keys(repo / "libs/config/src/lib.rs")
    renamed = renamed_keys(repo / "libs/config/src/duration.rs")
    if len(known) < 10:
        problem("libs/config/src/lib.rs", f"found only {len(known)} configuration keys; has the struct layout changed?")
    docs = (repo / "docs/configuration.md").read_text()
    for key in sorted(known):
        if f"`{key}`" not in docs:
            problem("docs/configuration.md", f"does not document `{key}`")

    config_map = next((c for n, c in configmaps.items() if n.startswith("bailiff-config")), None)
    env_map = next((c for n, c in configmaps.items() if n.startswith("bailiff-env")), None)
    if config_map is None or env_map is None:
        problem("ConfigMap", "bailiff-config or bailiff-env is missing")
        return
    config = flatten(yaml.safe_load(config_map["data"]["config.yaml"]))
    for key in sorted(set(config) - known - set(renamed)):
        problem("bailiff-config config.yaml", f"unknown key {key}")
    for name in sorted(env_map.get("data", {})):
        if not name.startswith("BAILIFF_") or env_key(name) not in known | set(renamed):
            problem("bailiff-env", f"{name} is not a configuration key")
    for key, value in config.items():
        if key.endswith("_file") and isinstance(value, str) and value.startswith("/etc/bailiff/secrets/"):
            secret_keys_read.setdefault("bailiff-secrets", set()).add(value.rsplit("/", 1)[-1])

    def config_port(key: str) -> int | None:
        value = config.get(key)
        return int(str(value).rsplit(":", 1)[-1]) if value else None

    # The effective shutdown.grace_period: as in libs/config, the duration key wins over
    # the old millisecond key wherever each is set, and the environment over the file.
    env = {env_key(name): value for name, value in env_map.get("data", {}).items()}
    grace = next((seconds(source[key]) for key in ["shutdown.grace_period"] for source in (env, config) if key in source), None)
    if grace is None:
        grace = next((int(source[key]) / 1000 for key in ["shutdown.grace_period_ms"] for source in (env, config) if key in source), 25.0)
    services = by_kind.get("Service", {})
    for role in ROLES:
        deployment = ours.get(f"bailiff-{role}")
        if deployment is None:
            problem(f"Deployment/bailiff-{role}", "missing")
            continue
        where = name_of(deployment)
        spec = pod_spec(deployment)
        container = spec["containers"][0]
        ports = container_ports(spec)
        args = container.get("args", [])
        if args[:1] != ["serve"] or f"--role={role}" not in " ".join(args).replace("--role ", "--role="):
            problem(where, f"does not run `serve --role {role}`")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe not in container:
                problem(where, f"no {probe}")
            elif role != "gateway" and "grpc" not in container[probe]:
                problem(where, f"{probe} is not a gRPC probe")
            elif "grpc" in container[probe] and container[probe]["grpc"]["port"] != ports.get("grpc"):
                problem(where, f"{probe} does not probe the gRPC port")
            elif "httpGet" in container[probe] and port_number(spec, container[probe]["httpGet"]["port"]) is None:
                problem(where, f"{probe} names an unknown port")
        sleep = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
        if sleep is None:
            problem(where, "no preStop sleep action")
        elif spec.get("terminationGracePeriodSeconds", 30) <= sleep + grace:
            problem(where, "terminationGracePeriodSeconds does not exceed preStop sleep + shutdown.grace_period")
        if ports.get("internal") != config_port("listen.internal"):
            problem(where, "internal containerPort differs from listen.internal")
        if role == "gateway":
            if ports.get("http") != config_port("listen.http"):
                problem(where, "http containerPort differs from listen.http")
        else:
            if ports.get("grpc") != config_port(f"{role}.listen"):
                problem(where, f"grpc containerPort differs from {role}.listen")
            address = urlparse(str(config.get(f"{role}.address", "")))
            service = services.get(address.hostname or "")
            if service is None:
                problem("config.yaml", f"{role}.address {address.geturl()} names no rendered Service")
            elif address.port not in [p["port"] for p in service["spec"]["ports"]]:
                problem("config.yaml", f"{role}.address port is not a port of Service {service['metadata']['name']}")
        if role == "notices" and pod_labels(deployment).get("bailiff.matrix.org/internal-client") != "true":
            problem(where, "notices pods must be labelled as internal clients to reach membership")

    # Services, PodDisruptionBudgets, HorizontalPodAutoscalers, NetworkPolicies select pods.
    for service in services.values():
        where = name_of(service)
        matched = [w for w in workloads if selects({"matchLabels": service["spec"].get("selector", {})}, pod_labels(w))]
        if not matched:
            problem(where, "selects no pods")
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for workload in matched:
                if port_number(pod_spec(workload), target) is None:
                    problem(where, f"targetPort {target} is not a port of {name_of(workload)}")
    pdb_covered = set()
    for pdb in by_kind.get("PodDisruptionBudget", {}).values():
        matched = [n for n, d in deployments.items() if selects(pdb["spec"]["selector"], pod_labels(d))]
        if not matched:
            problem(name_of(pdb), "selects no Deployment")
        pdb_covered.update(matched)
    for name in ours:
        if name not in pdb_covered:
            problem(f"Deployment/{name}", "has no PodDisruptionBudget")
    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        target = deployments.get(hpa["spec"]["scaleTargetRef"]["name"])
        if target is None:
            problem(name_of(hpa), "scales no rendered Deployment")
        elif "replicas" in target["spec"]:
            problem(name_of(target), "sets replicas although an autoscaler owns the count")
    for policy in by_kind.get("NetworkPolicy", {}).values():
        where = name_of(policy)
        matched = [w for w in workloads if selects(policy["spec"]["podSelector"], pod_labels(w))]
        if not matched:
            problem(where, "selects no pods")
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                if set(peer) == {"podSelector"} and not any(selects(peer["podSelector"], pod_labels(w)) for w in workloads):
                    problem(where, f"allows traffic from a selector that matches no pod: {peer['podSelector']}")
            for port in rule.get("ports", []):
                for workload in matched:
                    if port_number(pod_spec(workload), port["port"]) is None:
                        problem(where, f"port {port['port']} is not a port of {name_of(workload)}")

    # Rendered Secrets must carry every key read, the configuration's *_file keys included.
    for name, keys in secret_keys_read.items():
        if name in secrets:
            present = set(secrets[name].get("data") or {}) | set(secrets[name].get("stringData") or {})
            for key in sorted(keys - present):
                problem(f"Secret/{name}", f"lacks key {key}, which a pod reads")

    # External Secrets: their documented example must carry every key read.
    for name, example in externals.items():
        if example is None:
            continue
        shapes = [d for d in yaml.safe_load_all(example.read_text()) if d]
        shape = next((d for d in shapes if d.get("kind") == "Secret" and d["metadata"]["name"] == name), None)
        if shape is None:
            problem(str(example), f"does not define Secret {name}")
            continue
        keys = set(shape.get("stringData", {})) | set(shape.get("data", {}))
        for key in sorted(secret_keys_read.get(name, set()) - keys):
            problem(str(example), f"Secret {name} lacks key {key}, which a pod reads")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rendered", type=Path)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--external", action="append", default=[], metavar="NAME[=EXAMPLE]")
    args = parser.parse_args()
    externals: dict[str, Path | None] = {}
    for item in args.external:
        name, _, example = item.partition("=")
        externals[name] = Path(example) if example else None
    objs = [o for o in yaml.safe_load_all(args.rendered.read_text()) if o]
    check(objs, args.repo, externals)
    for line in problems:
        print(f"{args.rendered.name}: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
