"""Derived-value expressions of a definition (``[derived.NAME] expression``): checked once
when the definition is read, evaluated on every score. Only numbers, ``+ - * /``, unary
minus, parentheses and the given names are allowed; division by zero gives ``None``."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Final, cast

_BIN_OPS: Final[dict[type[ast.operator], Callable[[float, float], float]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def compile_expression(expression: str, names: set[str]) -> ast.expr | None:
    """The checked syntax tree of ``expression``, or ``None`` when it uses anything but
    numbers, ``+ - * /``, unary minus, parentheses and ``names``."""
    if len(expression) > 500:
        return None
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.operator | ast.unaryop):
            if isinstance(node, ast.operator) and type(node) not in _BIN_OPS:
                return None
            if isinstance(node, ast.unaryop) and not isinstance(node, ast.USub):
                return None
            continue
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Load):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        if isinstance(node, ast.Name) and node.id in names:
            continue
        return None
    return tree.body


@lru_cache(maxsize=256)
def compiled(expression: str, names: frozenset[str]) -> ast.expr:
    tree = compile_expression(expression, set(names))
    assert tree is not None, "checked when the definition was loaded"
    return tree


def evaluate(node: ast.expr, values: Mapping[str, float | None]) -> float | None:
    """Value of a checked expression; ``None`` when a name is ``None`` or on division by 0."""
    if isinstance(node, ast.Constant):
        return float(cast(float, node.value))
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = evaluate(node.operand, values)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp):
        left, right = evaluate(node.left, values), evaluate(node.right, values)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _BIN_OPS[type(node.op)](left, right)
    raise AssertionError(ast.dump(node))
