"""One place per rule field: the schema, the docs of every module and the export read _fields."""

import glob
import os
import textwrap

import yaml

from ansible_collections.netsec.openstack.plugins.module_utils import _declarations_file as declarations_file
from ansible_collections.netsec.openstack.plugins.module_utils import _fields as fields
from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils import _schema as schema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
MODULES = os.path.join(ROOT, "plugins", "modules")
# Modules that take rules in the declaration's shape; any other module documenting a rule list must be listed here.
RULE_OPTION_PATHS = {
    "security_groups": ("groups", "rules"),
    "security_group": ("rules",),
    "default_security_group_rules": ("rules",),
}
# Suboptions a module documents on top of the registry's rule fields.
EXTRA_SUBOPTIONS = {"default_security_group_rules": ("used_in_default_sg", "used_in_non_default_sg")}


def documentation(module):
    namespace = {}
    with open(os.path.join(MODULES, module + ".py")) as handle:
        source = handle.read()
    start = source.index('DOCUMENTATION = r"""') + len('DOCUMENTATION = r"""')
    end = source.index('"""', start)
    namespace["doc"] = yaml.safe_load(source[start:end])
    return namespace["doc"]


def option_at(doc, path):
    options = doc["options"]
    for name in path[:-1]:
        options = options[name]["suboptions"]
    return options[path[-1]]


def rule_lists(options, trail=()):
    """Paths of options named ``rules`` anywhere in a module's options."""
    for name, option in (options or {}).items():
        if name == "rules":
            yield trail + (name,)
        yield from rule_lists(option.get("suboptions"), trail + (name,))


def test_every_module_documenting_rules_is_checked():
    for path in sorted(glob.glob(os.path.join(MODULES, "*.py"))):
        module = os.path.basename(path)[:-3]
        found = list(rule_lists(documentation(module).get("options")))
        assert found == ([RULE_OPTION_PATHS[module]] if module in RULE_OPTION_PATHS else []), (module, found)


def render_suboptions(indent):
    """The rules suboptions as YAML for a module's DOCUMENTATION (paste it in when the registry changes)."""
    pad = " " * indent
    lines = []
    for field in fields.RULE_FIELDS:
        lines.append("%s%s:" % (pad, field.name))
        for key in ("description", "type", "elements", "choices", "default", "aliases"):
            value = field.doc.get(key)
            if value is None:
                continue
            if key == "description" and isinstance(value, list):
                lines.append("%s  description:" % pad)
                for item in value:
                    wrapped = textwrap.wrap(item, 112 - indent, break_long_words=False, break_on_hyphens=False)
                    lines.append("%s    - %s" % (pad, wrapped[0]))
                    lines.extend("%s      %s" % (pad, line) for line in wrapped[1:])
            elif isinstance(value, list):
                lines.append("%s  %s: [%s]" % (pad, key, ", ".join(value)))
            else:
                lines.append("%s  %s: %s" % (pad, key, value))
    return "\n".join(lines) + "\n"


def test_rendered_suboptions_are_what_the_modules_carry():
    for module, path in sorted(RULE_OPTION_PATHS.items()):
        indent = 4 * len(path) + 2
        with open(os.path.join(MODULES, module + ".py")) as handle:
            assert render_suboptions(indent) in handle.read(), "%s: paste in\n%s" % (module, render_suboptions(indent))


def test_documented_rule_suboptions_are_the_registry():
    expected = fields.documented_suboptions()
    for module, path in sorted(RULE_OPTION_PATHS.items()):
        documented = dict(
            (name, entry) for name, entry in option_at(documentation(module), path)["suboptions"].items() if name not in EXTRA_SUBOPTIONS.get(module, ())
        )
        assert sorted(documented) == sorted(expected), (module, sorted(set(documented) ^ set(expected)))
        for name, entry in expected.items():
            assert documented[name] == entry, (
                "%s: rules suboption %s differs from _fields.RULE_FIELDS; paste in render_suboptions()" % (module, name),
                documented[name],
                entry,
            )


def test_schema_is_built_from_the_registry():
    assert sorted(schema.RULE_SCHEMA["properties"]) == fields.names_and_aliases()
    for field in fields.RULE_FIELDS:
        for name in (field.name,) + field.aliases:
            assert schema.RULE_SCHEMA["properties"][name] == field.schema
    assert schema.GROUP_SCHEMA["properties"]["rules"]["items"] is schema.RULE_SCHEMA


def test_roles_and_remote_kinds():
    assert set(f.role for f in fields.RULE_FIELDS) == {"direction", "ethertype", "protocol", "ports", "icmp", "remote", "description", "annotation"}
    assert [kind for _name, kind in fields.remote_kinds()] == [model.REMOTE_CIDR, model.REMOTE_GROUP, model.REMOTE_ADDRESS_GROUP]
    assert fields.REMOTE_FIELDS == ("remote_ip_prefix", "remote_group", "remote_address_group")


def test_export_writes_registry_fields_in_registry_order():
    order = fields.export_order()
    assert order[:3] == ("direction", "ethertype", "protocol") and "port_range_min" not in order
    key = model.rule_key("egress", "IPv6", "tcp", 22, 23, model.REMOTE_CIDR, "2001:db8::/32")
    rule = declarations_file.compact_rule(key, "d", None)
    assert list(rule) == [name for name in order if name in rule]
    assert set(rule) <= set(fields.BY_NAME)


def test_one_owner_tag():
    from ansible_collections.netsec.openstack.plugins.module_utils import _drift as drift

    assert drift.OWNER_TAG is model.OWNER_TAG
