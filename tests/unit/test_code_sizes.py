"""Sizes (issue 16): no function longer than 80 lines, no class longer than 300 lines under plugins/.

A function's or class's length runs from its ``def``/``class`` line to its last line (decorators
left out; docstrings, comments and blank lines inside counted).  Nested functions and methods are
measured on their own too.  Break a long one by meaning, not by slicing.
"""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "plugins")
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 300


def python_files(top=PLUGINS):
    for directory, _subdirectories, names in os.walk(top):
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def oversized(source, where="<source>"):
    """``[(where, kind, name, lines, limit)]`` for each function or class over its limit in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind, limit = "function", MAX_FUNCTION_LINES
        elif isinstance(node, ast.ClassDef):
            kind, limit = "class", MAX_CLASS_LINES
        else:
            continue
        lines = node.end_lineno - node.lineno + 1
        if lines > limit:
            found.append((where, kind, node.name, lines, limit))
    return found


def _function(name, body_lines, indent=""):
    body = "".join("%s    x = %d\n" % (indent, number) for number in range(body_lines))
    return "%sdef %s():\n%s" % (indent, name, body)


@pytest.mark.parametrize(
    "source, expected",
    [
        (_function("fits", MAX_FUNCTION_LINES - 1), []),
        (_function("too_long", MAX_FUNCTION_LINES), [("function", "too_long", MAX_FUNCTION_LINES + 1)]),
        ("@decorated\n" + _function("decorators_not_counted", MAX_FUNCTION_LINES - 1), []),
        ("class Big:\n" + _function("method", MAX_FUNCTION_LINES, "    "), [("function", "method", MAX_FUNCTION_LINES + 1)]),
        (
            "class Big:\n" + "".join(_function("m%d" % n, 9, "    ") for n in range(MAX_CLASS_LINES // 10)),
            [("class", "Big", MAX_CLASS_LINES + 1)],
        ),
        (
            "def outer():\n" + _function("inner", MAX_FUNCTION_LINES, "    "),
            [("function", "outer", MAX_FUNCTION_LINES + 2), ("function", "inner", MAX_FUNCTION_LINES + 1)],
        ),
    ],
)
def test_the_measure(source, expected):
    assert [(kind, name, lines) for _where, kind, name, lines, _limit in oversized(source)] == expected


def test_no_function_over_80_lines_and_no_class_over_300_lines_under_plugins():
    files = list(python_files())
    assert len(files) > 20, "plugins/ not found from %s" % ROOT
    found = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            found.extend(oversized(handle.read(), os.path.relpath(path, ROOT)))
    assert found == [], "\n".join("%s: %s %s is %d lines (limit %d): break it by meaning" % item for item in found)
