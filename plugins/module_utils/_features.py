# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a cloud's Neutron can do, from its API extension list (private, pure: no I/O).

Neutron announces each optional part of its API as an extension alias
(``GET /v2.0/extensions``).  Older releases lack the newer ones: address
groups arrived in Victoria, rules whose source is an address group in
Wallaby, default-rule templates in 2023.2 (docs/neutron-releases.md).  The
engine decides everything it does differently by release from these
features, never from a version number; and a declaration that uses a
feature the cloud lacks is refused before any write, naming the field path
and the missing extension alias.

This module is private to the collection: its interface may change without
notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model

Feature = namedtuple("Feature", ["name", "alias", "what"])

# Every feature the collection cares about: its name here, Neutron's extension alias, what it gives.
FEATURES = (
    Feature("address_groups", "address-group", "address groups"),
    Feature("remote_address_group", "security-groups-remote-address-group", "rules whose source is an address group"),
    Feature("stateful", "stateful-security-group", "stateless security groups: stateful false"),
    Feature("tags", "standard-attr-tag", "tags on security groups"),
    Feature("default_rules", "security-groups-default-rules", "default security group rule templates"),
    Feature("normalized_cidr", "security-groups-normalized-cidr", "the read-only normalized_cidr of rules"),
    Feature("belongs_to_default_sg", "security-groups-rules-belongs-to-default-sg", "the read-only belongs_to_default_sg of rules"),
    Feature("shared_filtering", "security-groups-shared-filtering", "the shared filter on security groups"),
    Feature("rbac_security_groups", "rbac-security-groups", "sharing security groups with other projects"),
    Feature("rbac_address_groups", "rbac-address-group", "sharing address groups with other projects"),
    Feature("tag_creation", "tag-creation", "tags in a create request"),
    Feature("default_statefulness", "security-groups-default-statefulness", "a default stateful for new groups"),
    Feature("revision_if_match", "revision-if-match", "compare-and-swap updates (If-Match: revision_number)"),
    Feature("description", "standard-attr-description", "descriptions on groups and rules"),
)
BY_NAME = dict((feature.name, feature) for feature in FEATURES)
BY_ALIAS = dict((feature.alias, feature) for feature in FEATURES)


def aliases_of(extensions):
    """The aliases in Neutron's extension list (dicts with ``alias``, objects with ``.alias``, or strings)."""
    aliases = set()
    for extension in extensions or []:
        if isinstance(extension, dict):
            alias = extension.get("alias")
        else:
            alias = getattr(extension, "alias", extension)
        if alias:
            aliases.add(str(alias))
    return aliases


def features_from_extensions(extensions):
    """The names of the features a cloud has, from its extension list."""
    aliases = aliases_of(extensions)
    return frozenset(feature.name for feature in FEATURES if feature.alias in aliases)


def declaration_uses(desired):
    """``[(field path, feature name)]`` for every declared field that needs an optional extension.

    ``stateful: true`` needs nothing (without the extension every group is
    stateful); ``tags`` does, and so do address groups and rules whose
    source is one.  Group ownership (the ``managed-by`` tag) is asked for
    by ``plan_uses``, once a run is about to write.
    """
    uses = []
    for address_group in desired.address_groups:
        uses.append((address_group.path, "address_groups"))
        if address_group.shared_with is not None:
            uses.append((address_group.path + ".shared_with", "rbac_address_groups"))
    for group in desired.groups:
        if group.stateful is False:
            uses.append((group.path + ".stateful", "stateful"))
        if group.tags:
            uses.append((group.path + ".tags", "tags"))
        if group.shared_with is not None:
            uses.append((group.path + ".shared_with", "rbac_security_groups"))
        for rule in group.rules or []:
            if rule.key.remote_kind == model.REMOTE_ADDRESS_GROUP:
                path = rule.path + ".remote_address_group"
                uses.append((path, "remote_address_group"))
                uses.append((path, "address_groups"))
    return uses


def plan_uses(desired, plan):
    """``[(field path, feature name)]`` the writes of a plan need: groups are created or adopted with a tag."""
    paths = dict((group.name, group.path) for group in desired.groups)
    uses = []
    for op in plan:
        if op.get("action") == "create_group" or "tags" in (op.get("changes") or {}):
            uses.append((paths.get(op.get("group"), "groups"), "tags"))
    return uses


def missing(uses, features):
    """Error messages, one per field path, for the uses whose feature the cloud lacks (none: [])."""
    errors = []
    seen = set()
    for path, name in uses:
        feature = BY_NAME[name]
        if name in features or (path, name) in seen:
            continue
        seen.add((path, name))
        errors.append("%s: this cloud's Neutron lacks the API extension '%s' (%s)%s" % (path, feature.alias, feature.what, _why(name)))
    return errors


def _why(name):
    if name == "tags":
        return "; netsec.openstack records which groups it manages with the tag %s, so it can not create or adopt groups here" % model.OWNER_TAG
    return ""
