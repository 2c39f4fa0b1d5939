"""apimachinery's name and label checks with their error texts (k8s.io/apimachinery/pkg/util/validation).

Lengths are counted in bytes, as Go's ``len`` does; patterns must match the whole value.
"""

from __future__ import annotations

import re

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_LABEL = re.compile(_LABEL_FMT)
_SUBDOMAIN = re.compile(_SUBDOMAIN_FMT)
_QNAME = re.compile(_QNAME_FMT)
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)
_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
              "character")

def regex_error(message: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError``."""
    shown = "".join(("" if i == 0 else " or ") + f"'{example}', " for i, example in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def size(value: str) -> int:
    return len(value.encode())


def subdomain_errors(value: str) -> list[str]:
    """``IsDNS1123Subdomain``."""
    errors = ["must be no more than 253 characters"] if size(value) > 253 else []
    if not _SUBDOMAIN.fullmatch(value):
        errors.append(regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                                   "'-' or '.', and must start and end with an alphanumeric character",
                                   _SUBDOMAIN_FMT, "example.com"))
    return errors


def label_errors(value: str) -> list[str]:
    """``IsDNS1123Label``."""
    errors = ["must be no more than 63 characters"] if size(value) > 63 else []
    if not _LABEL.fullmatch(value):
        errors.append("must not contain dots" if _SUBDOMAIN.fullmatch(value) else regex_error(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
            "and end with an alphanumeric character", _LABEL_FMT, "my-name", "123-abc"))
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """``IsQualifiedName``: an optional DNS-subdomain prefix and ``/``, then a name of at most 63 characters."""
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    errors = []
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errors.append("prefix part must be non-empty")
        else:
            errors += ["prefix part " + m for m in subdomain_errors(parts[0])]
    if not name:
        errors.append("name part must be non-empty")
    elif size(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _QNAME.fullmatch(name):
        errors.append("name part " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errors


def label_value_errors(value: str) -> list[str]:
    """``IsValidLabelValue``."""
    errors = ["must be no more than 63 characters"] if size(value) > 63 else []
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(regex_error("a valid label must be an empty string or consist of alphanumeric characters, '-', "
                                   "'_' or '.', and must start and end with an alphanumeric character",
                                   _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors
