""""Did you mean" hints for unknown fields: known mistakes first, then close sibling names."""

from __future__ import annotations

VM_SPEC = "v1.VirtualMachineSpec"
VMI_SPEC = "v1.VirtualMachineInstanceSpec"

#: Field names people put inside a VMI spec (``spec.template.spec``) that belong on the VirtualMachine.
_VM_LEVEL = {"instancetype": "instancetype.name", "instancetypes": "instancetype.name",
             "preference": "preference.name", "preferences": "preference.name"}


def unknown_field_hint(
    key: str, parent: str, definition: str, siblings: list[str], ancestors: list[tuple[str, str]]
) -> str | None:
    """A hint for unknown ``key`` in the object at ``parent`` (of ``definition``, known fields ``siblings``).

    ``ancestors`` lists (definition, path) of the enclosing objects, outermost first.
    """
    prefix = f"{parent}." if parent else ""
    lowered = key.lower()
    if definition == VMI_SPEC and lowered in _VM_LEVEL:
        vm_spec = next((path for name, path in reversed(ancestors) if name == VM_SPEC), None)
        if vm_spec is None:
            return "a VirtualMachineInstance cannot reference an instancetype or preference; use a VirtualMachine"
        return f'did you mean "{vm_spec}.{_VM_LEVEL[lowered]}"?'
    for known in siblings:
        if known.lower() == lowered or known.lower() == lowered.rstrip("s"):
            return f'did you mean "{prefix}{known}"?'
    import difflib

    close = difflib.get_close_matches(key, siblings, n=1, cutoff=0.75)
    if not close:
        lowered_map = {s.lower(): s for s in siblings}
        close = [lowered_map[c] for c in difflib.get_close_matches(lowered, list(lowered_map), n=1, cutoff=0.75)]
    return f'did you mean "{prefix}{close[0]}"?' if close else None
