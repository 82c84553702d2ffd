"""The NetworkPolicies, evaluated: who can open a connection to whom, in each overlay.

The evaluator follows the Kubernetes semantics: a pod selected by no policy of a direction is open
in that direction; a selected pod allows only what the union of its policies' rules allows; a
connection needs the source's egress *and* the destination's ingress to allow it. An ``ipBlock``
is taken to match any pod (pod IPs are implementation-defined there), which can only make the
answers more permissive, never hide a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.kustomize import build

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ["development", "production"]
SERVICES = {"portal": 8000, "registry": 8001, "referrals": 8002, "notifications": 8003, "coordination": 8004}


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def pod(name: str, namespace: str, labels: dict[str, str]) -> Pod:
    return Pod(name, namespace, tuple(sorted(labels.items())))


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


class Cluster:
    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
        self.namespace = self.policies[0]["metadata"]["namespace"]
        ns = self.namespace
        self.pods: list[Pod] = []
        for o in objects:
            if o["kind"] == "Deployment":
                labels = o["spec"]["template"]["metadata"]["labels"]
                self.pods.append(Pod(o["metadata"]["name"], ns, tuple(sorted(labels.items()))))
            if o["kind"] == "Cluster":
                self.pods.append(pod(o["metadata"]["name"], ns, {"cnpg.io/cluster": o["metadata"]["name"]}))
        self.pods += [
            # The NATS Helm release in the same namespace (the chart's labels).
            pod("nats", ns, {"app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "nats"}),
            # Anything else someone runs in the namespace.
            pod("debug", ns, {"run": "debug"}),
            pod("cnpg-operator", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}),
            pod("ingress-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
            pod("keycloak", "keycloak", {"app": "keycloak"}),
            pod("collector", "observability", {"app": "otel-collector"}),
            pod("dns", "kube-system", {"k8s-app": "kube-dns"}),
        ]

    def by_name(self, name: str) -> Pod:
        return next(p for p in self.pods if p.name == name)

    def _peer(self, peer: dict[str, Any], other: Pod, policy_ns: str) -> bool:
        if "ipBlock" in peer:
            return True
        ns_sel = peer.get("namespaceSelector")
        if ns_sel is None and other.namespace != policy_ns:
            return False
        if ns_sel is not None and not selects(ns_sel, {"kubernetes.io/metadata.name": other.namespace}):
            return False
        return selects(peer.get("podSelector"), other.label_map)

    def _allows(self, target: Pod, other: Pod, port: int, direction: str) -> bool:
        kind, peers_key = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
        applicable = [
            p
            for p in self.policies
            if p["metadata"]["namespace"] == target.namespace
            and kind in p["spec"].get("policyTypes", ["Ingress"])
            and selects(p["spec"]["podSelector"], target.label_map)
        ]
        if not applicable:
            return True
        for policy in applicable:
            for rule in policy["spec"].get(direction) or []:
                peers = rule.get(peers_key)
                if peers and not any(self._peer(peer, other, target.namespace) for peer in peers):
                    continue
                ports = rule.get("ports")
                if ports and not any(
                    p.get("port") in (None, port) and p.get("protocol", "TCP") == "TCP" for p in ports
                ):
                    continue
                return True
        return False

    def can_connect(self, source: Pod, destination: Pod, port: int) -> bool:
        return self._allows(source, destination, port, "egress") and self._allows(
            destination, source, port, "ingress"
        )

    def ports_in_rules(self) -> set[int]:
        ports = {5432, 8000, 4222}
        for policy in self.policies:
            for direction in ("ingress", "egress"):
                for rule in policy["spec"].get(direction) or []:
                    ports |= {p["port"] for p in rule.get("ports") or [] if isinstance(p.get("port"), int)}
        return ports


@pytest.fixture(scope="module", params=OVERLAYS)
def cluster(request: pytest.FixtureRequest) -> Cluster:
    return Cluster(build(K8S / "overlays" / request.param))


def test_only_referrals_reaches_the_referrals_database(cluster: Cluster) -> None:
    database = cluster.by_name("referrals-db")
    reach = {p.name for p in cluster.pods if p is not database and cluster.can_connect(p, database, 5432)}
    # Besides the service itself: nothing but the operator that manages the database.
    assert reach == {"referrals", "cnpg-operator"}
    assert cluster.can_connect(database, database, 5432), "replicas stream from the primary"


def test_coordination_cannot_reach_the_referrals_database_on_any_port(cluster: Cluster) -> None:
    database, coordination = cluster.by_name("referrals-db"), cluster.by_name("coordination")
    assert not [p for p in cluster.ports_in_rules() if cluster.can_connect(coordination, database, p)]


@pytest.mark.parametrize("service", SERVICES)
def test_each_database_belongs_to_its_service_alone(cluster: Cluster, service: str) -> None:
    database = cluster.by_name(f"{service}-db")
    hawkari = [cluster.by_name(s) for s in SERVICES]
    assert {p.name for p in hawkari if cluster.can_connect(p, database, 5432)} == {service}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reaches_what_it_needs(cluster: Cluster, service: str) -> None:
    me = cluster.by_name(service)
    assert cluster.can_connect(me, cluster.by_name("nats"), 4222)
    assert cluster.can_connect(me, cluster.by_name("keycloak"), 8080)
    assert cluster.can_connect(me, cluster.by_name("dns"), 53)
    assert cluster.can_connect(me, cluster.by_name("collector"), 4318)
    assert cluster.can_connect(cluster.by_name("ingress-controller"), me, SERVICES[service])
    if service != "portal":
        assert cluster.can_connect(cluster.by_name("portal"), me, SERVICES[service])
        # The APIs do not call each other; only the portal does.
        others = [s for s in SERVICES if s not in ("portal", service)]
        assert not any(cluster.can_connect(cluster.by_name(o), me, SERVICES[service]) for o in others)


def test_anything_else_in_the_namespace_reaches_nothing(cluster: Cluster) -> None:
    debug = cluster.by_name("debug")
    assert not cluster.can_connect(debug, cluster.by_name("nats"), 4222)
    assert not any(cluster.can_connect(debug, cluster.by_name(f"{s}-db"), 5432) for s in SERVICES)
    assert not any(cluster.can_connect(debug, cluster.by_name(s), p) for s, p in SERVICES.items())


def test_the_nats_cluster_routes_between_its_servers(cluster: Cluster) -> None:
    nats = cluster.by_name("nats")
    assert cluster.can_connect(nats, nats, 6222)
