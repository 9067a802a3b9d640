"""One errors module (issue 16): every exception class of the collection is defined in _errors.py; the modules
that raise one import it from there (and re-export it under its old name where callers use that)."""

import ast
import os

from ansible_collections.netsec.openstack.plugins.module_utils import _access, _audit, _errors, _inspect, _model, _run_lock, _schema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ERRORS_MODULE = os.path.join("plugins", "module_utils", "_errors.py")


def exception_classes(source):
    """Names of the classes in ``source`` that derive from an exception (a base named *Error, *Exception, ...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            bases = [getattr(base, "id", None) or getattr(base, "attr", "") for base in node.bases]
            if any(base.endswith(("Error", "Exception", "Timeout")) or base in ("Conflict", "NotFound", "Forbidden") for base in bases):
                found.append(node.name)
    return found


def test_the_finder_finds_exception_classes():
    assert exception_classes("class A(ValueError):\n    pass\nclass B(object):\n    pass\nclass C(errors.CloudError):\n    pass\n") == ["A", "C"]


def test_every_exception_class_is_defined_in_the_errors_module():
    elsewhere = []
    for directory, _subdirectories, names in os.walk(os.path.join(ROOT, "plugins")):
        for name in names:
            path = os.path.relpath(os.path.join(directory, name), ROOT)
            if name.endswith(".py") and path != ERRORS_MODULE:
                with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
                    elsewhere.extend("%s: %s" % (path, cls) for cls in exception_classes(handle.read()))
    assert elsewhere == []
    with open(os.path.join(ROOT, ERRORS_MODULE), encoding="utf-8") as handle:
        assert len(exception_classes(handle.read())) >= 12


def test_the_old_names_are_the_same_classes():
    assert _schema.DeclarationError is _errors.DeclarationError
    assert _model.ModelError is _errors.ModelError
    assert _access.AccessError is _errors.AccessError
    assert _audit.AuditError is _errors.AuditError
    assert _inspect.InspectError is _errors.InspectError
    assert _run_lock.LockTimeout is _errors.LockTimeout
