"""Manifest builders for ``vmctl create``: VirtualMachine (``vm``), instancetype and preference, from
virtctl-style flags (``params`` holds the ``key:value,key:value`` flag grammar)."""
