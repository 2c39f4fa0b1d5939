"""Listing many objects stays within one page of memory (kubectl's --chunk-size), on the real server."""

from __future__ import annotations

import json
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from vmctl.backends.cluster import objects
from vmctl.backends.cluster.connection import Connection
from vmctl.backends.cluster.resources import lookup

pytestmark = pytest.mark.cluster

COUNT = 1000
VM = lookup("vm")


def peak_while_listing(conn: Connection, chunk_size: int) -> tuple[int, int]:
    """(objects seen, peak bytes allocated while iterating)."""
    tracemalloc.start()
    try:
        seen = sum(1 for _ in objects.list_objects(conn, VM, chunk_size=chunk_size))
        return seen, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_thousand_vms_list_in_bounded_memory(apiserver: Any, conn: Connection, namespace: str) -> None:
    base = f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines"
    padding = "x" * 2000  # ~2 KB per object, like a real VM's spec

    def create(i: int) -> None:
        apiserver.admin.create(
            base,
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachine",
                "metadata": {"name": f"vm-{i:04d}", "annotations": {"pad": padding}},
                "spec": {"runStrategy": "Halted"},
            },
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(COUNT)))

    seen_paged, peak_paged = peak_while_listing(conn, 100)
    seen_whole, peak_whole = peak_while_listing(conn, 0)  # 0: one request for everything
    assert seen_paged == seen_whole == COUNT
    one_page = 100 * len(json.dumps({"pad": padding}))
    assert peak_paged < peak_whole / 4, (peak_paged, peak_whole)
    assert peak_paged < 20 * one_page, (peak_paged, one_page)
