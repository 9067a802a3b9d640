# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a scope and return it as declarations files' mappings (private).

Glue only, like ``_reconcile``: the cloud is read by ``_adapter``
(``observe_inventory``, a constant number of list calls) and turned into
mappings by the pure ``_declarations_file``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _adapter as cloud
from ansible_collections.netsec.openstack.plugins.module_utils import _declarations_file as declarations_file
from ansible_collections.netsec.openstack.plugins.module_utils._cloud.connection import open_run


def export(options, auth, connect=cloud.connect):
    """The module result of netsec.openstack.security_groups_info."""
    run = open_run(auth, options, connect=connect, scoped=not options.get("all_projects"))
    adapter, counter = run.reads, run.counter
    warnings = []
    names = options.get("names") or None
    tags = options.get("tags") or None
    include_servers = options.get("include_servers", True)
    if options.get("all_projects"):
        inventory = adapter.observe_inventory(None, with_servers=include_servers, with_sharing=True)
        project_ids = declarations_file.projects_in(inventory)
        scope_id = None
    else:
        scope_id = run.project_id
        inventory = adapter.observe_inventory(scope_id, with_servers=include_servers, with_sharing=True)
        project_ids = [scope_id]
    project_names = adapter.project_names() if options.get("all_projects") else {}
    file_names = declarations_file.tree_file_names(project_ids, project_names)
    projects = []
    for project_id in project_ids:
        # A single project is named as the user named it (or not at all: the credentials' project);
        # in an all-projects export each mapping carries its project's id.
        label = options.get("project") if scope_id is not None else project_id
        mapping, project_warnings = declarations_file.export_project(
            inventory, project_id, names=names, tags=tags, include_servers=include_servers, project=label
        )
        if options.get("all_projects") and not (mapping["groups"] or mapping["address_groups"] or mapping.get("servers")):
            continue
        warnings.extend(project_warnings)
        entry = {"project_id": project_id, "declarations": mapping}
        if options.get("all_projects"):
            entry.update(project_name=project_names.get(project_id), file_name=file_names[project_id])
        projects.append(entry)
    result = {
        "changed": False,
        "projects": projects,
        "api_requests": counter.as_dict(),
        "warnings": warnings,
    }
    if scope_id is not None:
        result["project_id"] = scope_id
        result["declarations"] = projects[0]["declarations"]
    return result
