"""CheckSpreadCPUTopology messages and preference spec validation (admitter texts and deprecation warnings)."""

from __future__ import annotations

import pytest

from vmctl.core.preference import check_spread_topology, validate_spec
from vmctl.errors import FieldProblem

FIELD = "instancetype.spec.cpu.guest"
RATIO = "Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio"


def it(guest):
    return {"cpu": {"guest": guest}, "memory": {"guest": "1Gi"}}


def spread(topology="spread", **options):
    return {"cpu": {"preferredCPUTopology": topology, "spreadOptions": options}}


@pytest.mark.parametrize(
    ("guest", "preference", "message"),
    [
        (3, spread(), f"3 vCPUs provided by the instance type are not divisible by the {RATIO} of 2 provided by the preference"),
        (3, spread("preferSpread"),
         f"3 vCPUs provided by the instance type are not divisible by the {RATIO} of 2 provided by the preference"),
        (4, {**spread(), "preferSpreadSocketToCoreRatio": 3},
         f"4 vCPUs provided by the instance type are not divisible by the {RATIO} of 3 provided by the preference"),
        (6, spread(ratio=4),
         f"6 vCPUs provided by the instance type are not divisible by the {RATIO} of 4 provided by the preference"),
        (5, spread(across="CoresThreads"),
         "5 vCPUs provided by the instance type are not divisible by the number of threads per core 2"),
        (6, spread(across="SocketsCoresThreads"),
         f"6 vCPUs provided by the instance type are not divisible by the number of threads per core 2 and {RATIO} of 2"),
        (3, spread(across="SocketsCoresThreads", ratio=1),
         f"3 vCPUs provided by the instance type are not divisible by the number of threads per core 2 and {RATIO} of 1"),
        (4, spread(ratio=0),
         f"4 vCPUs provided by the instance type are not divisible by the {RATIO} of 0 provided by the preference"),
    ],
)
def test_not_divisible(guest, preference, message):
    assert check_spread_topology(it(guest), preference) == FieldProblem(FIELD, message)


@pytest.mark.parametrize(
    ("guest", "preference"),
    [
        (4, spread()),
        (6, spread(ratio=3)),
        (4, spread(across="CoresThreads")),
        (8, spread(across="SocketsCoresThreads")),
        (12, spread(across="SocketsCoresThreads", ratio=3)),
        (3, {"cpu": {"preferredCPUTopology": "sockets"}}),
        (3, {"cpu": {"preferredCPUTopology": "cores"}}),
        (3, {"preferSpreadSocketToCoreRatio": 2}),  # ratio without spread topology
        (3, None),
        (3, spread(across="Elsewhere")),  # unknown across: nothing to check (preference admission rejects it)
    ],
)
def test_divisible_or_not_spread(guest, preference):
    assert check_spread_topology(it(guest), preference) is None


def test_no_instancetype_no_check():
    assert check_spread_topology(None, spread()) is None


@pytest.mark.parametrize(
    ("spec", "problems"),
    [
        ({}, []),
        ({"cpu": {"preferredCPUTopology": "sockets"}}, []),
        ({"cpu": {"preferredCPUTopology": "spread", "spreadOptions": {"across": "SocketsCoresThreads", "ratio": 4}}}, []),
        ({"cpu": {"preferredCPUTopology": "bogus"}},
         [FieldProblem("spec.cpu.preferredCPUTopology", "unknown preferredCPUTopology bogus")]),
        ({"cpu": {"preferredCPUTopology": "spread", "spreadOptions": {"across": "Sockets"}}},
         [FieldProblem("spec.cpu.spreadOptions.across", "across Sockets is not supported")]),
        ({"cpu": {"preferredCPUTopology": "spread", "spreadOptions": {"across": "CoresThreads", "ratio": 4}}},
         [FieldProblem("spec.cpu.spreadOptions.ratio",
                       "only a ratio of 2 (1 core 2 threads) is allowed when spreading vCPUs over cores and threads")]),
        ({"cpu": {"preferredCPUTopology": "spread", "spreadOptions": {"across": "CoresThreads"}},
          "preferSpreadSocketToCoreRatio": 3},
         [FieldProblem("spec.cpu.spreadOptions.ratio",
                       "only a ratio of 2 (1 core 2 threads) is allowed when spreading vCPUs over cores and threads")]),
        # spread options are only validated for a spread topology
        ({"cpu": {"preferredCPUTopology": "cores", "spreadOptions": {"across": "Sockets"}}}, []),
        # errors suppress the deprecation warning
        ({"cpu": {"preferredCPUTopology": "preferSpread", "spreadOptions": {"across": "Sockets"}}},
         [FieldProblem("spec.cpu.spreadOptions.across", "across Sockets is not supported")]),
    ],
)
def test_validate_spec(spec, problems):
    assert validate_spec(spec) == problems


@pytest.mark.parametrize(
    ("old", "new"),
    [("preferSockets", "sockets"), ("preferCores", "cores"), ("preferThreads", "threads"),
     ("preferSpread", "spread"), ("preferAny", "any")],
)
def test_deprecated_topology_warning(old, new):
    assert validate_spec({"cpu": {"preferredCPUTopology": old}}) == [FieldProblem(
        "spec.cpu.preferredCPUTopology",
        f"PreferredCPUTopology {old} is deprecated for removal in a future release, please use {new} instead",
        "Warning")]
