"""``vmctl volume`` through the real entry point, with a real state folder (qemu-img files, SQLite store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img (qemu-utils) is not installed")


def test_create_list_delete(tmp_path: Path, vmctl) -> None:
    state = str(tmp_path / "state")
    assert vmctl("volume", "create", "data1", "--size", "1Gi", "--state-dir", state) == (
        0, "volume/data1 created (1Gi)\n", "")
    assert vmctl("volume", "create", "data2", "--size", "512Mi", "-n", "dev", "--state-dir", state)[0] == 0
    code, out, err = vmctl("volume", "list", "--state-dir", state)
    assert (code, err) == (0, "")
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAME", "SIZE", "FORMAT", "USED", "USED-BY"]
    assert rows[1][:3] == ["data1", "1Gi", "qcow2"] and rows[1][-1] == "<none>" and len(rows) == 2
    code, out, _ = vmctl("volume", "list", "-A", "-o", "json", "--state-dir", state)
    listed = json.loads(out)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"], i["spec"]["resources"]["requests"]["storage"])
            for i in listed["items"]] == [("default", "data1", "1Gi"), ("dev", "data2", "512Mi")]
    assert vmctl("volume", "list", "-o", "name", "-n", "dev", "--state-dir", state)[1] == (
        "persistentvolumeclaim/data2\n")
    assert vmctl("volume", "delete", "data1", "--state-dir", state) == (
        0, 'persistentvolumeclaim "data1" deleted\n', "")
    assert vmctl("volume", "list", "--state-dir", state) == (0, "", "No volumes found in default namespace.\n")


def test_errors_are_one_line(tmp_path: Path, vmctl) -> None:
    state = str(tmp_path / "state")
    assert vmctl("volume", "create", "d", "--size", "ten", "--state-dir", state)[::2] == (
        2, "error: --size: invalid quantity 'ten': expected a number with an optional suffix (Ki, Mi, Gi, Ti, Pi, Ei, "
           "n, u, m, k, M, G, T, P, E or e<exponent>)\n")
    assert vmctl("volume", "create", "d", "--size", "0", "--state-dir", state)[::2] == (
        2, "error: --size: must be greater than zero, got '0'\n")
    assert vmctl("volume", "delete", "nope", "--state-dir", state)[::2] == (
        1, 'error: persistentvolumeclaims "nope" not found\n')
    assert vmctl("volume", "import", "x", "--from", str(tmp_path / "missing.img"), "--state-dir", state)[::2] == (
        1, f"error: --from {tmp_path / 'missing.img'}: no such file\n")
    code, _, err = vmctl("volume", "import", "x", "--from", "ftp://example.com/x.img", "--state-dir", state)
    assert (code, err) == (
        1, "error: --from ftp://example.com/x.img: unsupported URL scheme (use a file path, http(s):// or docker://)\n")
    import subprocess

    base, overlay = tmp_path / "base.qcow2", tmp_path / "overlay.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "1M"], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base), str(overlay)], check=True)
    assert vmctl("volume", "import", "x", "--from", str(overlay), "--state-dir", state)[::2] == (
        1, f"error: --from {overlay}: has a backing file; import the flattened image instead\n")
    code, _, err = vmctl("volume", "create", "Bad_Name", "--size", "1Mi", "--state-dir", state)
    assert code == 1 and err.startswith("error: volume name 'Bad_Name': a lowercase RFC 1123 subdomain")
    assert not (tmp_path / "state" / "volumes" / "default" / "x.qcow2").exists()


def test_import_raw_grows_and_refuses_to_overwrite(tmp_path: Path, vmctl) -> None:
    state = str(tmp_path / "state")
    raw = tmp_path / "disk.raw"
    raw.write_bytes(b"\xeb" * 4096)
    code, out, err = vmctl("volume", "import", "root", "--from", str(raw), "--size", "64Mi", "--state-dir", state)
    assert (code, out, err) == (0, f"volume/root imported (64Mi, from {raw})\n", "")
    assert vmctl("volume", "import", "root", "--from", str(raw), "--state-dir", state)[::2] == (
        1, 'error: persistentvolumeclaims "root" already exists\n')


def test_delete_is_refused_while_a_vmi_uses_the_volume(tmp_path: Path, vmctl) -> None:
    from vmctl.backends.local.store import Store

    state = tmp_path / "state"
    assert vmctl("volume", "create", "data", "--size", "1Mi", "--state-dir", str(state))[0] == 0
    store = Store(state)
    store.create({"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
                  "metadata": {"name": "web", "namespace": "default"},
                  "spec": {"volumes": [{"name": "d", "ephemeral": {"persistentVolumeClaim": {"claimName": "data"}}}]}})
    store.close()
    code, out, err = vmctl("volume", "list", "--state-dir", str(state))
    assert out.splitlines()[1].split()[-1] == "vmi/web"
    assert vmctl("volume", "delete", "data", "--state-dir", str(state))[::2] == (
        1, "error: volume data is in use by vmi/web\nhint: stop the VM first (vmctl stop NAME)\n")
    assert (state / "volumes" / "default" / "data.qcow2").is_file()


def test_import_from_an_http_url(tmp_path: Path, vmctl) -> None:
    import functools
    import http.server
    import subprocess
    import threading

    served = tmp_path / "www"
    served.mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(served / "cloud.qcow2"), "16M"], check=True)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep stderr for vmctl's own output
            pass

    handler = functools.partial(Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/cloud.qcow2"
        code, out, err = vmctl("volume", "import", "web", "--from", url, "--state-dir", str(tmp_path / "s"))
        assert (code, out, err) == (0, f"volume/web imported (16Mi, from {url})\n", "")
        code, _, err = vmctl("volume", "import", "web2", "--from", url + ".missing", "--state-dir", str(tmp_path / "s"))
        assert (code, err) == (1, f"error: --from {url}.missing: cannot download: HTTP 404 File not found\n")
        assert sorted(p.name for p in (tmp_path / "s" / "volumes" / "default").iterdir()) == ["web.qcow2"]
    finally:
        server.shutdown()
