"""vmctl's own ``JinjaTemplate`` (``vmctl.dev/v1alpha1``): parameters plus Jinja2 text that renders YAML objects.

Rendering happens only in a :class:`jinja2.sandbox.SandboxedEnvironment` subclass with ``StrictUndefined``
and no autoescaping: no loader (no ``include``/``import`` of files), no access to Python internals
(``__class__``, ``__globals__``, ...), ``*`` and ``**`` results bounded, output bounded, and rendering time bounded (``VMCTL_TEMPLATE_TIMEOUT`` seconds, default 10). Parameter values are
plain strings passed as variables and are never rendered again, so ``{{ 7*7 }}`` in a value stays literal.
The ``yaml`` filter quotes a value as a YAML/JSON string so that newlines or ``: `` in a value cannot add keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vmctl import settings
from vmctl.errors import InputError
from vmctl.io.yamlio import iter_objects, parse_documents
from vmctl.template.generator import Chooser, GeneratorError, generate_kubevirt
from vmctl.template.model import Obj, ProcessResult, TemplateLineError, template_name
from vmctl.template.openshift import merge_labels
from vmctl.template.params import check_parameters, parameter_values

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_SEQUENCE = 1_000_000  # longest string/list a `*` may build
MAX_POWER_BITS = 4096  # largest result of `**`


class TemplateFailure(Exception):
    """Raised by the template's own ``fail("...")`` call."""


def generate_values(params: list[Obj], choose: Chooser | None = None) -> dict[str, str]:
    values: dict[str, str] = {}
    for i, param in enumerate(params):
        path = f"parameters[{i}]"
        name = str(param.get("name") or "")
        if not _NAME.match(name):
            raise InputError(f"{path}.name: invalid parameter name {name!r}: use letters, digits and '_'")
        if name in values:
            raise InputError(f'{path}.name: Duplicate value: "{name}"')
        value = str(param.get("value") or "")
        generate = param.get("generate") or ""
        if not value and generate:
            if generate != "expression":
                raise InputError(f"{path}: Unknown generator name '{generate}' for parameter {name}")
            try:
                source = str(param.get("from") or "")
                if not source:
                    raise GeneratorError(f"from cannot be empty for parameter '{name}' using generator 'expression'")
                value = generate_kubevirt(source, choose) if choose else generate_kubevirt(source)
            except GeneratorError as exc:
                raise InputError(f"{path}: {exc}") from None
        if not value and param.get("required"):
            raise InputError(f"{path}: parameter {name} is required and must be specified")
        values[name] = value
    return values


def _yaml_quote(value: Any) -> str:
    """Render a value as a YAML flow scalar that parses back to exactly that value."""
    return json.dumps(value if isinstance(value, bool | int | float | list | dict) or value is None else str(value))


def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class BoundedSandbox(SandboxedEnvironment):
        """SandboxedEnvironment that also bounds ``*`` and ``**``."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for seq, count in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > MAX_SEQUENCE:
                        raise SecurityError(f"the result of '*' would be longer than {MAX_SEQUENCE} items")
            if (
                operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0
                and max(abs(left), 1).bit_length() * right > MAX_POWER_BITS
            ):
                raise SecurityError(f"the result of '**' would be larger than {MAX_POWER_BITS} bits")
            return super().call_binop(context, operator, left, right)

    def fail(message: str) -> None:
        raise TemplateFailure(str(message))

    env = BoundedSandbox(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    env.globals.pop("lipsum", None)
    env.globals["fail"] = fail
    env.filters["yaml"] = _yaml_quote
    return env


class RenderTimeout(Exception):
    """Rendering ran longer than ``VMCTL_TEMPLATE_TIMEOUT`` seconds."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in this (main) thread after ``seconds``; a no-op off the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise RenderTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))  # a tiny value must not round to 0 (no timer)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: Jinja2 statements that need a loader: a template is self-contained, so these are refused by name.
_LOADER_STATEMENTS = {"Include": "include", "Import": "import", "FromImport": "from ... import", "Extends": "extends"}


def _compile(env: Any, text: str, template: str, field: str) -> Any:
    """Parse ``text``; a syntax error or a statement that needs a loader is a TemplateLineError."""
    import jinja2.exceptions as jexc
    from jinja2 import nodes

    try:
        tree = env.parse(text)
        for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            statement = _LOADER_STATEMENTS[type(node).__name__]
            raise TemplateLineError(
                template, field, node.lineno,
                f"{{% {statement} %}} is not supported: a template is self-contained (no other files can be loaded)",
            )
        return env.from_string(tree)
    except jexc.TemplateSyntaxError as exc:  # also an unknown filter or test, found when compiling
        raise TemplateLineError(template, field, exc.lineno, f"template syntax error: {exc.message}") from None
    except RecursionError:
        raise InputError(f"{template}: {field}: template nested too deeply") from None


def render(text: str, variables: dict[str, Any], template: str, field: str) -> str:
    """Render the Jinja2 ``text`` of a template's ``field`` in the sandbox, within a time bound; every failure
    becomes one InputError line."""
    import jinja2.exceptions as jexc

    timeout = settings.template_timeout()
    env = _environment()
    source = f"{template}: {field}"
    compiled = _compile(env, text, template, field)
    try:
        with _deadline(timeout):
            return _render(compiled, variables, source)
    except RenderTimeout:
        raise InputError(f"{source}: rendering took longer than {timeout:g} s (VMCTL_TEMPLATE_TIMEOUT)") from None
    except InputError:
        raise
    except TemplateFailure as exc:
        raise InputError(f"{source}: {exc}") from None
    except jexc.SecurityError as exc:
        raise InputError(f"{source} blocked by the sandbox: {exc}") from None
    except jexc.UndefinedError as exc:
        raise InputError(f"{source}: {exc}") from None
    except jexc.TemplateError as exc:
        raise InputError(f"{source}: template error: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: template recursion too deep") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise InputError(f"{source}: template failed: {type(exc).__name__}: {exc}") from None


def _render(compiled: Any, variables: dict[str, Any], source: str) -> str:
    """Render, stopping as soon as the output passes the input size bound."""
    chunks: list[str] = []
    size = 0
    limit = settings.max_input_bytes()
    for chunk in compiled.generate(**variables):
        size += len(chunk)
        if size > limit:
            raise InputError(f"{source}: rendered output is larger than {limit} bytes")
        chunks.append(chunk)
    return "".join(chunks)


def process(
    template: Obj,
    supplied: dict[str, str],
    *,
    ignore_unknown: bool = False,
    labels: dict[str, str] | None = None,
    choose: Chooser | None = None,
) -> ProcessResult:
    name = template_name(template)
    body = template.get("template")
    if not isinstance(body, str) or not body.strip():
        raise InputError(f"{name}: template: Required value: Jinja2 text producing YAML objects")
    params = check_parameters(template.get("parameters"), f"{name}: parameters")
    values = parameter_values(
        params, supplied, template=name, generate=generate_values, choose=choose, ignore_unknown=ignore_unknown
    )

    variables: dict[str, Any] = {**values, "parameters": dict(values)}
    text = render(body, variables, name, "template")
    docs = parse_documents(text, f"{name} (rendered)")
    objects: list[Obj] = []
    for doc, obj in iter_objects(docs):
        if not isinstance(obj, dict):
            raise InputError(f"{doc.where}: expected an object mapping, got {type(obj).__name__}")
        objects.append(obj)
    if not objects:
        raise InputError(f"{name}: the template rendered no objects")

    object_labels = template.get("labels") or {}
    if not isinstance(object_labels, dict):
        raise InputError(f"{name}: labels: expected a map of label keys to values")
    merged = {str(k): str(v) for k, v in {**object_labels, **(labels or {})}.items()}
    for obj in objects:
        merge_labels(obj, merged)

    message = template.get("message")
    rendered_message = render(message, variables, name, "message").strip() if isinstance(message, str) and message else None
    return ProcessResult(objects, rendered_message or None)
