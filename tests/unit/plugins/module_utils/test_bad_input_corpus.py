"""The bad-input corpus on the pure validation code: every "pure" case, fast.

The table lives in tests/integration/bad_input_cases.py, where the
integration test runs the same cases through the real modules; here each
"pure" case goes straight to the code the module calls first, and must fail
with a message naming the path and saying what is expected.
"""

import importlib.util
import os

import pytest

from ansible_collections.netsec.openstack.plugins.module_utils import _access as access
from ansible_collections.netsec.openstack.plugins.module_utils._attachments import validate_servers
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration
from ansible_collections.netsec.openstack.plugins.module_utils._reconcile import _unprefix
from ansible_collections.netsec.openstack.plugins.module_utils._schema import DeclarationError

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "..", "..", "integration", "bad_input_cases.py")
_spec = importlib.util.spec_from_file_location("bad_input_cases", TABLE)
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

PURE = [case for case in cases.CASES if case[5] == "pure"]
ONE_GROUP_FIELDS = ("name", "description", "stateful", "tags", "rules")


def refusal(module, args):
    """The DeclarationError the module's first step raises for ``args``, as (message, errors)."""
    try:
        if module == cases.SGS:
            parse_declaration(dict((k, args[k]) for k in ("groups", "address_groups") if k in args))
        elif module == cases.SG:
            group = dict((k, args[k]) for k in ONE_GROUP_FIELDS if args.get(k) is not None)
            try:
                parse_declaration({"groups": [group]})
            except DeclarationError as exc:
                raise DeclarationError(_unprefix(exc.errors))
        elif module == cases.SSG:
            servers = args.get("servers")
            if servers is None:
                servers = [dict((k, args[k]) for k in ("server", "security_groups", "mode", "ports") if k in args)]
            validate_servers(servers)
        elif module == cases.AUDIT:
            access.model_from_declarations(args["declarations"])
        else:
            raise AssertionError("no pure entry point for %s" % module)
    except DeclarationError as exc:
        return str(exc), exc.errors
    return None, None


def test_there_are_many_pure_cases():
    assert len(PURE) >= 60


@pytest.mark.parametrize("case_id,module,args,path,words,kind", PURE, ids=[case[0] for case in PURE])
def test_pure_case_is_refused_with_path_and_expectation(case_id, module, args, path, words, kind):
    message, errors = refusal(module, args)
    assert message is not None, "accepted: %r" % (args,)
    # The path starts one of the errors (not just somewhere in the text).
    assert any(error.startswith(path) for error in errors), (path, errors)
    for word in words:
        assert word in message, (word, message)
