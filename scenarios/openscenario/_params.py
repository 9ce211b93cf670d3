"""``$parameter`` and ``${expression}`` resolution for the OpenSCENARIO import.

A first pass over the parsed file replaces every ``$name`` / ``${expr}`` attribute with its
value, scoping declarations as OpenSCENARIO does (an element's ParameterDeclarations apply
to it and everything below), so the readers after it never see a reference.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable

from scenarios.openscenario._xml import Node

_PARAM = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
_EXPR = re.compile(r"^\$\{(.*)\}$", re.S)
_EXPR_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

_TYPES: dict[str, Callable[[str], object]] = {
    "double": float, "int": int, "integer": int, "unsignedInt": int, "unsignedShort": int,
    "string": str, "dateTime": str,
    "boolean": lambda t: {"true": True, "false": False, "1": True, "0": False}[t],
}
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_FUNCS = {"round": round, "floor": math.floor, "ceil": math.ceil, "sqrt": math.sqrt,
          "pow": math.pow}


def text_of(value: object) -> str:
    """Attribute text for a parameter value (booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def evaluate(expr: str, scope: dict[str, object]) -> float:
    """An OpenSCENARIO 1.2 arithmetic expression (``+ - * / % **``, parentheses, round,
    floor, ceil, sqrt, pow; ``$name`` numeric parameters). ValueError on anything else."""
    names = {}

    def ref(m: re.Match) -> str:
        if m.group(1) not in scope:
            raise ValueError(f"unknown parameter ${m.group(1)}")
        names[f"p_{m.group(1)}"] = scope[m.group(1)]
        return f"p_{m.group(1)}"

    try:
        tree = ast.parse(_EXPR_REF.sub(ref, expr).strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"cannot parse expression {expr!r}") from None

    def ev(n: ast.AST) -> float:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) \
                and not isinstance(n.value, bool):
            return n.value
        if isinstance(n, ast.Name) and n.id in names:
            v = names[n.id]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"parameter ${n.id[2:]} is not numeric")
            return v
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            return _BINOPS[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            return -ev(n.operand) if isinstance(n.op, ast.USub) else ev(n.operand)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _FUNCS \
                and not n.keywords:
            return _FUNCS[n.func.id](*(ev(a) for a in n.args))
        raise ValueError(f"unsupported expression {expr!r} (kav evaluates + - * / % **, "
                         f"parentheses and {', '.join(_FUNCS)})")

    try:
        return ev(tree)
    except (ArithmeticError, TypeError) as exc:
        raise ValueError(f"cannot evaluate {expr!r}: {exc}") from None


def declare(node: Node, scope: dict[str, object],
            overrides: dict[str, str] | None = None) -> dict[str, object]:
    """Parameters declared by ``node``'s ``ParameterDeclarations`` child, added to a copy
    of ``scope`` (a declaration may use earlier ones); ``overrides`` (name -> text, e.g. a
    catalog reference's ParameterAssignments) replace declared values."""
    decls = node.opt("ParameterDeclarations")
    if decls is None:
        return scope
    scope = dict(scope)
    for d in decls.children({"ParameterDeclaration"}):
        name = d.text("name")
        kind = d.text("parameterType")
        if kind not in _TYPES:
            raise d.fail(f"unknown parameterType {kind!r} (known: {', '.join(_TYPES)})")
        d.children(set(), ignore={"ConstraintGroup"})  # constraints only restrict variants
        text = (overrides or {}).get(name, d.text("value"))
        text = substitute_text(text, scope, d, "value")
        try:
            scope[name] = _TYPES[kind](text)
        except (ValueError, KeyError):
            raise d.fail(f"{text!r} is not a {kind}", "value") from None
    return scope


def substitute_text(text: str, scope: dict[str, object], node: Node, attr: str) -> str:
    """``text`` with a whole-value ``$name`` or ``${expr}`` replaced."""
    if not text.startswith("$"):
        return text
    m = _PARAM.match(text)
    if m:
        if m.group(1) not in scope:
            raise node.fail(f"unknown parameter {text} (declared here: "
                            f"{', '.join(sorted(scope)) or 'none'})", attr)
        return text_of(scope[m.group(1)])
    m = _EXPR.match(text)
    if m:
        try:
            return text_of(evaluate(m.group(1), scope))
        except ValueError as exc:
            raise node.fail(str(exc), attr) from None
    raise node.fail(f"{text!r} is neither a parameter reference ($name) nor an expression "
                    "(${...})", attr)


def resolve_parameters(node: Node, scope: dict[str, object],
                       overrides: dict[str, str] | None = None) -> dict[str, object]:
    """Replace every ``$`` reference in ``node``'s subtree in place, with parameters scoped
    as OpenSCENARIO scopes them (an element's declarations apply to it and below).
    Returns the scope declared at ``node`` itself."""
    scope = declare(node, scope, overrides)
    for key, text in list(node.el.attrib.items()):
        if node.tag != "ParameterDeclaration":
            node.el.attrib[key] = substitute_text(text, scope, node, key)
    for child in node.all_elements():
        if child.tag != "ParameterDeclarations":
            resolve_parameters(child, scope)
    return scope
