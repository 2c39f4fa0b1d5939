"""Which REST path serves an object: group, version, plural and scope, from vmctl's kind table or discovery.

KubeVirt's kinds (and the few core kinds vmctl reads) come from ``vmctl.core.kinds`` without a request; any
other ``apiVersion``/``kind`` is looked up once per connection in the server's discovery document, as kubectl
does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from vmctl.backends.cluster.connection import Connection, path_segment
from vmctl.core import kinds
from vmctl.errors import InputError, NotFoundError


class Resource(NamedTuple):
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """``virtualmachinepools.pool.kubevirt.io`` as the server names it in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """``/apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]]`` (``/api/v1/...`` for the core
        group)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{path_segment(namespace)}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{path_segment(name)}"
            if subresource:
                base += f"/{subresource}"
        return base

    def describe(self, name: str | None = None, namespace: str | None = None) -> str:
        """'VirtualMachinePool "web" in namespace "prod"' for messages."""
        text = self.kind if name is None else f'{self.kind} "{name}"'
        if self.namespaced and namespace:
            text += f' in namespace "{namespace}"'
        return text


def of_kind(kind: kinds.Kind, version: str | None = None) -> Resource:
    """The resource of a known kind, at its preferred version unless one is given (it must be served)."""
    if version is not None and version not in kind.versions:
        served = ", ".join(f"{kind.group}/{v}" if kind.group else v for v in kind.versions)
        raise InputError(
            f"{kind.kind}: apiVersion {kind.group + '/' if kind.group else ''}{version} is not served; "
            f"served: {served}"
        )
    return Resource(kind.group, version or kind.versions[0], kind.plural, kind.kind, kind.namespaced)


def lookup(name: str) -> Resource:
    """A kubectl-style resource name (``vm``, ``vmpools``, ``virtualmachinepool``) → its resource."""
    kind = kinds.lookup_resource(name)
    if kind is None:
        raise InputError(f"unknown resource type {name!r}")
    return of_kind(kind)


def for_object(conn: Connection, obj: dict[str, Any]) -> Resource:
    """The resource serving an object by its ``apiVersion`` and ``kind`` (discovery for kinds vmctl lacks)."""
    api_version = obj.get("apiVersion")
    kind_name = obj.get("kind")
    if not isinstance(api_version, str) or not api_version or not isinstance(kind_name, str) or not kind_name:
        raise InputError("object needs apiVersion and kind")
    group, _, version = api_version.rpartition("/")
    known = kinds.BY_KIND.get(kind_name)
    if known is not None and known.group == group:
        return of_kind(known, version)
    return discover(conn, group, version, kind_name)


def discover(conn: Connection, group: str, version: str, kind_name: str) -> Resource:
    """Find ``kind_name`` in the server's discovery document for ``group/version``."""
    key = f"discovery:{group}/{version}"
    resources = conn.cache.get(key)
    if resources is None:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        api_version = f"{group}/{version}" if group else version
        try:
            _, doc = conn.request("GET", path, what=f"API version {api_version}")
        except NotFoundError:
            raise NotFoundError(f'the server does not serve API version "{api_version}"') from None
        resources = [r for r in (doc or {}).get("resources") or [] if "/" not in str(r.get("name", ""))]
        conn.cache[key] = resources
    for res in resources:
        if res.get("kind") == kind_name:
            return Resource(group, version, str(res["name"]), kind_name, bool(res.get("namespaced")))
    api_version = f"{group}/{version}" if group else version
    raise NotFoundError(f'the server has no kind "{kind_name}" in API version "{api_version}"')
