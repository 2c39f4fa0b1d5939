"""The parts of the official ``kubernetes`` client vmctl uses, imported without the package's eager ``__init__``.

``import kubernetes`` runs ``kubernetes/__init__.py``, which loads the kubeconfig loader (with oauthlib,
requests-oauthlib and requests for OIDC), the typed ``ApiClient`` (pydantic, dateutil), ``dynamic``, ``watch``,
``stream``, ``utils``, the leader election and the informers: about 250 ms before the first request, none of it
needed to send plain-dict requests. vmctl needs the transport (``client.rest.RESTClientObject`` over urllib3, with
the client's TLS, proxy and retry settings), ``client.Configuration`` and, for exec and auth-provider users, the
kubeconfig loader. The packages ``kubernetes``, ``kubernetes.config`` and ``kubernetes.utils`` are registered as plain namespace-like
modules (their ``__init__`` not run) so that importing those submodules costs only what they use
(bench/NOTES.md has the profile). If the client's layout ever makes that fail, the normal import is used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

#: Packages whose ``__init__`` imports far more than the submodules vmctl uses.
_HEAVY_PACKAGES = ("kubernetes", "kubernetes.config", "kubernetes.utils")


_registered: list[str] = []


def _register_bare_package(name: str) -> None:
    """Put ``name`` in ``sys.modules`` as a package whose submodules import normally but whose ``__init__``
    is skipped; a package already imported is left as it is."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not an installed package")
    module = types.ModuleType(name)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__package__ = name
    sys.modules[name] = module
    _registered.append(name)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def _forget_bare_packages() -> None:
    """Drop the bare packages (and what was imported under them) so the ordinary import can run."""
    for package in _registered:
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]
    _registered.clear()


def _submodule(name: str) -> Any:
    try:
        for package in _HEAVY_PACKAGES:
            _register_bare_package(package)
        return importlib.import_module(name)
    except ImportError:
        _forget_bare_packages()
        importlib.import_module("kubernetes")
        return importlib.import_module(name)


def configuration() -> Any:
    """A new ``kubernetes.client.Configuration``."""
    return _submodule("kubernetes.client.configuration").Configuration()


def rest_client(config: Any) -> Any:
    """The client's transport (``RESTClientObject``) for a configuration."""
    return _submodule("kubernetes.client.rest").RESTClientObject(config)


def api_exception() -> type[Exception]:
    """The client's ``ApiException`` (TLS failures come wrapped in it, status 0)."""
    return _submodule("kubernetes.client.exceptions").ApiException  # type: ignore[no-any-return]


def kube_config() -> Any:
    """The client's kubeconfig loader module (exec plugins, auth providers, merged files)."""
    return _submodule("kubernetes.config.kube_config")


def config_exception() -> type[Exception]:
    return _submodule("kubernetes.config.config_exception").ConfigException  # type: ignore[no-any-return]


def incluster_config() -> Any:
    return _submodule("kubernetes.config.incluster_config")
