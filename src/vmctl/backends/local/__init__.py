"""The local backend: a libvirt host plus a SQLite store (``runtime.LocalBackend``)."""
