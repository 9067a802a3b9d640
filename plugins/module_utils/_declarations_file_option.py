# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``declarations_file`` option of security_groups (private).

The module runs on the controller, so it can read a declarations file itself:
a 6,000-rule declaration then never passes through Ansible's playbook parser,
templating and argument transfer (seconds per thousand rules).  The file is
the playbooks' format (``_declarations_file``): ``groups``, ``address_groups``,
and ``project``/``cloud`` (used unless the task sets them; a different value
is an error naming both) and ``servers`` (left to server_security_groups).
Every error starts with the file's path, then the field path as the modules
write it (``groups[3].rules[1].port``), and comes before any cloud call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import re

try:
    import yaml

    try:
        _YAML_LOADER = yaml.CSafeLoader  # libyaml: ~10x faster on a large file
    except AttributeError:  # pragma: no cover - PyYAML without libyaml
        _YAML_LOADER = yaml.SafeLoader
    HAS_YAML = True
except ImportError:  # pragma: no cover - ansible-core always brings PyYAML on the controller
    yaml = None
    HAS_YAML = False

from ansible_collections.netsec.openstack.plugins.module_utils._declarations_file import FILE_KEYS
from ansible_collections.netsec.openstack.plugins.module_utils._errors import DeclarationError, PlanError

# The playbooks' files may also name their cloud (playbooks/tasks/load_declarations.yml).
OPTION_FILE_KEYS = tuple(FILE_KEYS) + ("cloud",)
# Messages about a part of the declaration start with (or contain) its path.
_DECLARATION_PATH = re.compile(r"(?<![A-Za-z_])(address_)?groups\[\d+\]")


def parse_text(text, label):
    """The file's mapping: JSON for a ``.json`` file, else YAML (which reads JSON, too)."""
    if label.lower().endswith(".json"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise DeclarationError(["%s: not valid JSON: %s" % (label, exc)])
    if not HAS_YAML:  # pragma: no cover
        raise DeclarationError(["%s: reading YAML needs PyYAML on the controller" % label])
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # nosec - a safe loader
    except yaml.YAMLError as exc:
        raise DeclarationError(["%s: not valid YAML: %s" % (label, exc)])


def split_file(data, label):
    """(declaration {groups, address_groups}, {project, cloud} the file names) of a parsed file."""
    if not isinstance(data, dict):
        raise DeclarationError(
            [
                "%s: (top level): a declarations file is a mapping with %s, got %s"
                % (label, ", ".join(OPTION_FILE_KEYS), "nothing" if data is None else type(data).__name__)
            ]
        )
    unknown = sorted(str(key) for key in data if key not in OPTION_FILE_KEYS)
    errors = ["%s: %s: unknown key of a declarations file; expected %s" % (label, key, ", ".join(OPTION_FILE_KEYS)) for key in unknown]
    for key in ("project", "cloud"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            errors.append("%s: %s: expected a non-empty string, got %r" % (label, key, data[key]))
    if errors:
        raise DeclarationError(errors)
    declaration = dict((key, [] if data.get(key) is None else data[key]) for key in ("groups", "address_groups"))
    return declaration, dict((key, data.get(key)) for key in ("project", "cloud"))


def settle(key, task_value, file_value, label):
    """The task's value, else the file's; both given and different is an error naming both."""
    if file_value is None:
        return task_value
    if task_value in (None, ""):
        return file_value
    if task_value != file_value:
        raise DeclarationError(
            [
                "%s: %s: the file says %s %r but the task says %s=%r; remove one of them (nothing was changed)"
                % (label, key, key, file_value, key, task_value if isinstance(task_value, str) else "(a mapping)")
            ]
        )
    return task_value


def read(path):
    """The file's text; a DeclarationError naming the path when it can not be read."""
    if not path:  # "{{ file | default('') }}": never an empty declaration (with purge_groups, a purge of everything)
        raise DeclarationError(["declarations_file: empty path; give the path of a declarations file"])
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except (IOError, OSError) as exc:
        raise DeclarationError(["%s: can not read the declarations file: %s" % (path, exc.strerror or exc)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeclarationError(["%s: not UTF-8 text: %s" % (path, exc)])


def load(path, project, cloud):
    """(declaration, project, cloud) for a run: the file's content, its project/cloud settled with the task's."""
    declaration, named = split_file(parse_text(read(path), path), path)
    return declaration, settle("project", project, named["project"], path), settle("cloud", cloud, named["cloud"], path)


@contextlib.contextmanager
def errors_name_file(path):
    """Errors about the declaration (validation, names that do not resolve) start with the file's path."""
    if not path:
        yield
        return
    try:
        yield
    except DeclarationError as exc:
        raise DeclarationError(_named(exc.errors, path, everything=True))
    except PlanError as exc:
        raise PlanError(_named(exc.errors, path, everything=False))


def _named(messages, path, everything):
    prefix = "%s: " % path
    named = []
    for message in messages:
        wanted = isinstance(message, str) and not message.startswith(prefix) and (everything or _DECLARATION_PATH.search(message))
        named.append(prefix + message if wanted else message)
    return named
