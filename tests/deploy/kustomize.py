"""A small kustomize, enough for deploy/k8s: no kustomize binary is installed here.

Supported, as kustomize does them: ``resources`` (files and directories), ``namespace``,
``labels`` (metadata only), ``images``, ``configMapGenerator`` (``envs``, ``literals``,
``behavior: merge``; only with ``generatorOptions.disableNameSuffixHash``), and ``patches`` either
as strategic-merge files (lists of objects with a ``name`` merged by name, other lists replaced)
or as JSON 6902 operations (add, replace, remove) with a target of group, kind and name (a regex).
Anything else in a kustomization makes the render fail, so the tests never pass on a field they
silently ignored.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]
KNOWN = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "configMapGenerator",
    "generatorOptions",
    "patches",
    "helmCharts",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def build(folder: Path) -> list[Object]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN
    if unknown:
        raise ValueError(f"{folder}: unsupported kustomization fields {sorted(unknown)}")
    if kustomization.get("helmCharts"):
        raise ValueError(f"{folder}: helm charts are rendered by helm, not here")
    objects: list[Object] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_dir():
            objects += build(path)
        else:
            objects += [d for d in yaml.safe_load_all(path.read_text()) if d]
    _generate_config_maps(folder, kustomization, objects)
    for patch in kustomization.get("patches", []):
        _apply_patch(folder, patch, objects)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    for label in kustomization.get("labels", []):
        if label.get("includeSelectors") or label.get("includeTemplates"):
            raise ValueError("only metadata labels are supported")
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(label["pairs"])
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return objects


def _env_file(path: Path) -> dict[str, str]:
    data = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            data[key] = value
    return data


def _generate_config_maps(folder: Path, kustomization: Object, objects: list[Object]) -> None:
    generators = kustomization.get("configMapGenerator", [])
    hashed = not kustomization.get("generatorOptions", {}).get("disableNameSuffixHash")
    # With a hash suffix kustomize also rewrites every reference; not reproduced here.
    if generators and hashed:
        raise ValueError(f"{folder}: configMapGenerator needs disableNameSuffixHash here")
    for generator in generators:
        data: dict[str, str] = {}
        for env in generator.get("envs", []):
            data.update(_env_file(folder / env))
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            data[key] = value
        behavior = generator.get("behavior", "create")
        existing = next(
            (o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == generator["name"]),
            None,
        )
        if behavior == "merge":
            if existing is None:
                raise ValueError(f"{folder}: merge into missing ConfigMap {generator['name']}")
            existing.setdefault("data", {}).update(data)
        elif existing is not None:
            raise ValueError(f"{folder}: ConfigMap {generator['name']} generated twice")
        else:
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": generator["name"]},
                    "data": data,
                }
            )


def strategic_merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list):
        if all(isinstance(i, dict) and "name" in i for i in [*base, *patch]) and patch:
            merged_list = [copy.deepcopy(i) for i in base]
            for item in patch:
                at = next((n for n, b in enumerate(merged_list) if b["name"] == item["name"]), None)
                if at is None:
                    merged_list.append(copy.deepcopy(item))
                else:
                    merged_list[at] = strategic_merge(merged_list[at], item)
            return merged_list
        return copy.deepcopy(patch)
    return copy.deepcopy(patch)


def _matches(obj: Object, target: Object) -> bool:
    group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
    if "group" in target and target["group"] != group:
        return False
    if "kind" in target and target["kind"] != obj["kind"]:
        return False
    return not ("name" in target and not re.fullmatch(target["name"], obj["metadata"]["name"]))


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def _json6902(obj: Object, operations: list[Object]) -> None:
    for op in operations:
        *parents, last = _pointer(op["path"])
        node: Any = obj
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) and last != "-" else last
        if op["op"] == "replace":
            if isinstance(node, dict) and key not in node:
                raise KeyError(f"replace of missing {op['path']}")
            node[key] = copy.deepcopy(op["value"])
        elif op["op"] == "add":
            if isinstance(node, list):
                node.insert(len(node) if key == "-" else key, copy.deepcopy(op["value"]))
            else:
                node[key] = copy.deepcopy(op["value"])
        elif op["op"] == "remove":
            del node[key]
        else:
            raise ValueError(f"unsupported JSON patch op {op['op']}")


def _apply_patch(folder: Path, patch: Object, objects: list[Object]) -> None:
    if "path" in patch:
        body = yaml.safe_load((folder / patch["path"]).read_text())
    else:
        body = yaml.safe_load(patch["patch"])
    if isinstance(body, list):  # JSON 6902
        targets = [o for o in objects if _matches(o, patch["target"])]
        if not targets:
            raise ValueError(f"{folder}: patch target {patch['target']} matches nothing")
        for obj in targets:
            _json6902(obj, body)
        return
    target = patch.get("target") or {"kind": body["kind"], "name": re.escape(body["metadata"]["name"])}
    hits = [n for n, o in enumerate(objects) if _matches(o, target)]
    if not hits:
        raise ValueError(f"{folder}: patch {patch} matches nothing")
    for n in hits:
        objects[n] = strategic_merge(objects[n], body)


def _set_image(objects: list[Object], image: Object) -> None:
    for obj in objects:
        spec = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
            full = container["image"].split("@")[0]
            repository = full.rsplit(":", 1)[0] if ":" in full.rsplit("/", 1)[-1] else full
            if repository != image["name"]:
                continue
            tag = full.rsplit(":", 1)[1] if repository != full else None
            new_name = image.get("newName", repository)
            new_tag = image.get("newTag", tag)
            container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
