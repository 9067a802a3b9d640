# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of usage: the ports that wear groups and the rules that reference them (private).

The lockout guard asks which ports wear the groups a plan changes; the
planner asks what uses the groups a plan may delete, before it plans.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import operator

from ansible_collections.netsec.openstack.plugins.module_utils._cloud.dicts import fixed_ips_of, rule_dict


class UsageReads(object):
    """Needs ``Lists``' calls and ``GroupReads.name_groups`` (``reads.Reads`` puts them together)."""

    def ports_wearing(self, group_ids):
        """{group id: [ports wearing it]} in one list call (the lockout guard's read)."""
        group_ids = sorted(set(group_ids))
        wearing = dict((group_id, []) for group_id in group_ids)
        if not group_ids:
            return wearing
        ports = self.list_network("ports", "listing ports of security groups %s" % ", ".join(group_ids), security_groups=group_ids)
        for port in sorted(ports, key=operator.attrgetter("id")):
            for group_id in port.security_group_ids or []:
                if group_id in wearing:
                    wearing[group_id].append(
                        {
                            "id": port.id,
                            "name": port.name or "",
                            "device_id": port.device_id,
                            "device_owner": port.device_owner,
                            "fixed_ips": fixed_ips_of(port),
                            "project_id": port.project_id,
                        }
                    )
        return wearing

    def read_usage(self, observed, group_ids, address_group_ids):
        """Ports wearing, and rules referencing, the groups a plan may delete."""
        for group_id in group_ids:
            ports = self.list_network("ports", "listing ports of security group %s" % group_id, security_groups=[group_id])
            ports = [p for p in ports if group_id in (p.security_group_ids or [])]
            rules = self.list_network("security_group_rules", "listing rules that reference security group %s" % group_id, remote_group_id=group_id)
            observed["usage"][group_id] = {
                "ports": [{"id": p.id, "name": p.name, "device_id": p.device_id, "device_owner": p.device_owner} for p in ports],
                "rules": [rule_dict(r) for r in rules],
            }
        for address_group_id in address_group_ids:
            rules = self.list_network(
                "security_group_rules", "listing rules that reference address group %s" % address_group_id, remote_address_group_id=address_group_id
            )
            observed["address_group_usage"][address_group_id] = {"rules": [rule_dict(r) for r in rules]}
        self._name_using_groups(observed)
        return observed

    def _name_using_groups(self, observed):
        """The names of groups whose rules use what a plan may delete, when the observation did not list them
        (a run that only deletes reads only the declared groups: ``_plan.observation_scope``)."""
        named = set(g["id"] for g in observed["groups"]) | set(observed["known_groups"])
        usages = list(observed["usage"].values()) + list(observed["address_group_usage"].values())
        wanted = set(r["security_group_id"] for usage in usages for r in usage["rules"]) - named
        self.name_groups(observed, wanted, "looking up the groups whose rules use them")
