# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages that name the group they are about (private).

Pure code, no I/O.  Validation and planning name the parts of a declaration
by path (``groups[2].rules[0].port``), but a reader knows groups by name.
``name_groups`` adds the declared name to every path of a group:
``groups[2].rules[0].port (group web): ...``.  With ``single`` (the modules
that take one group at the top level, security_group), ``groups[0]`` is
nothing the user wrote: ``rules[0].port (group web): ...``, and a bare
``groups[0]`` becomes ``group web``.  The path still starts the message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# groups[N] and what follows it (.rules[3].port), but not address_groups[N] or security_groups[N].
PATH = re.compile(r"(?<![A-Za-z_])groups\[(\d+)\]((?:\.[A-Za-z_]+|\[\d+\])*)")


def declared_names(declaration):
    """The declared group names by index (None where a group has no usable name)."""
    groups = declaration.get("groups") if isinstance(declaration, dict) else None
    names = []
    for group in groups if isinstance(groups, list) else []:
        name = group.get("name") if isinstance(group, dict) else None
        names.append(name if isinstance(name, str) and name.strip() else None)
    return names


def name_groups(messages, names, single=False):
    """``messages`` with each group path followed by the group's name (see the module docstring)."""

    def replace(match):
        index, rest = int(match.group(1)), match.group(2)
        name = names[index] if index < len(names) else None
        if single:
            path = rest[1:] if rest.startswith(".") else rest
            if not path:
                return "group %s" % name if name else "the group"
            return "%s (group %s)" % (path, name) if name else path
        return "%s (group %s)" % (match.group(0), name) if name else match.group(0)

    return [PATH.sub(replace, message) if isinstance(message, str) else message for message in messages]
