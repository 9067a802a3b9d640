# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota arithmetic for a plan (private, pure).

Neutron's quota details say, per resource, the ``limit`` (-1: unlimited),
what is ``used`` and what is ``reserved`` by requests in flight.  A plan's
operations change usage step by step in the plan's order (each operation
kind says how: ``_operations``); the plan fits when its highest point, its
peak, stays within the limit.  ``check`` returns the refusal message when it
does not, so the run can refuse before its first write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Dict, Iterable, List, Mapping, Optional, Tuple

# Groups, rules, and the RBAC policies that share groups and address groups (``_sharing``).
RESOURCES = ("security_group", "security_group_rule", "rbac_policy")
UNLIMITED = -1

Details = Mapping[str, Mapping[str, int]]
Step = Mapping[str, int]


def start_usage(details: Details, resource: str) -> int:
    entry = details.get(resource) or {}
    return int(entry.get("used") or 0) + int(entry.get("reserved") or 0)


def peaks(details: Details, steps: Iterable[Step]) -> Dict[str, Tuple[int, int]]:
    """{resource: (usage at the start, highest usage reached)} walking ``steps`` in order."""
    usage = dict((resource, start_usage(details, resource)) for resource in RESOURCES)
    result = dict((resource, [usage[resource], usage[resource]]) for resource in RESOURCES)
    for step in steps:
        for resource, delta in step.items():
            if resource not in usage:
                continue
            usage[resource] += delta
            result[resource][1] = max(result[resource][1], usage[resource])
    return dict((resource, (start, peak)) for resource, (start, peak) in result.items())


def needs_quota(steps: Iterable[Step]) -> bool:
    """True when a step raises some usage: only then is reading the quota worth a request."""
    return any(delta > 0 for step in steps for delta in step.values())


def check(details: Details, steps: List[Step]) -> Optional[str]:
    """None when the plan fits every quota; else the refusal, naming quota, need and room."""
    problems = []
    for resource, (start, peak) in sorted(peaks(details, steps).items()):
        entry = details.get(resource)
        if not entry:
            continue
        limit = int(entry.get("limit", UNLIMITED))
        if limit < 0 or peak <= limit:
            continue
        free = max(limit - start, 0)
        problems.append(
            "quota %s: the plan needs %d more at its peak but only %d are free (limit %d, used %d, "
            "reserved %d)" % (resource, peak - start, free, limit, int(entry.get("used") or 0), int(entry.get("reserved") or 0))
        )
    if not problems:
        return None
    return "%s; raise the quota or split the change" % "; ".join(problems)
