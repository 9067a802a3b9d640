# -*- coding: utf-8 -*-
# Copyright: netsec.openstack contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may talk to whom: declarations as a Mermaid or Graphviz picture (private).

Pure code, no I/O.  Nodes are the declared groups, the groups and address
groups their rules reference, and the CIDRs rules admit: one node per
distinct remote (``anywhere`` for 0.0.0.0/0 and ::/0, whether traffic comes
from it or goes to it).  Edges are allowed traffic: ingress
from the remote to the group (solid), egress from the group to the remote
(dashed), labelled with protocol and ports (``tcp/22``, ``udp``,
``icmp type 8``, ``any``); rules between the same two nodes share an edge.
A label says ``(IPv6)`` or ``(IPv4+IPv6)`` when the traffic is not IPv4 only
and the remote is not a CIDR (whose family is plain to see).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netsec.openstack.plugins.module_utils import _model as model
from ansible_collections.netsec.openstack.plugins.module_utils._declaration import parse_declaration

FORMATS = ("mermaid", "dot")
MAX_LISTED = 4
ANYWHERE = "anywhere"
# Protocol 0 as Neutron stores it, or as the rule model names it (see _access.PROTOCOL_ZERO).
PROTOCOL_ZERO = ("0", "hopopt")


# --- words for rules ------------------------------------------------------


def traffic_label(key):
    """Protocol and ports of a RuleKey: tcp/22, tcp/8000-8099, udp, icmp type 8, any, protocol 0 (any)."""
    if key.protocol is None:
        return "any"
    if key.protocol in PROTOCOL_ZERO:
        # Neutron's drivers match every protocol for protocol 0.
        return "protocol 0 (any)"
    if key.protocol in model.ICMP_PROTOCOLS:
        if key.port_min is None:
            return key.protocol
        if key.port_max is None:
            return "%s type %d" % (key.protocol, key.port_min)
        return "%s type %d code %d" % (key.protocol, key.port_min, key.port_max)
    if key.port_min is None:
        return key.protocol
    return "%s/%s" % (key.protocol, model.format_port_range(key.port_min, key.port_max))


def remote_text(key):
    """from/to whom: 'anywhere', '10.0.0.0/8', 'group web', 'address group office'."""
    if key.remote_kind == model.REMOTE_CIDR:
        return key.remote
    if key.remote_kind == model.REMOTE_GROUP:
        return "group %s" % key.remote
    if key.remote_kind == model.REMOTE_ADDRESS_GROUP:
        return "address group %s" % key.remote
    return ANYWHERE


def rule_text(key):
    """'ingress IPv4 tcp/22 from group bastion' / 'egress IPv6 any to anywhere'."""
    return "%s %s %s %s %s" % (key.direction, key.ethertype, traffic_label(key), "from" if key.direction == "ingress" else "to", remote_text(key))


# --- the graph --------------------------------------------------------------


class Graph(object):
    """Nodes and merged edges, in first-seen order."""

    def __init__(self):
        self.nodes = []  # dicts: id, kind, name, lines
        self.by_identity = {}
        self.edges = {}  # (source id, target id, direction) -> {label: set(families)}
        self.edge_order = []
        self.counters = {}

    def node(self, kind, name, lines=None):
        identity = (kind, name)
        if identity not in self.by_identity:
            prefix = {"group": "g", "external_group": "x", "address_group": "a", "cidr": "c"}[kind]
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            node = {"id": "%s%d" % (prefix, self.counters[prefix]), "kind": kind, "name": name, "lines": list(lines or [])}
            self.nodes.append(node)
            self.by_identity[identity] = node
        elif lines and not self.by_identity[identity]["lines"]:
            self.by_identity[identity]["lines"] = list(lines)
        return self.by_identity[identity]["id"]

    def edge(self, source, target, direction, label, family):
        identity = (source, target, direction)
        if identity not in self.edges:
            self.edges[identity] = {}
            self.edge_order.append(identity)
        self.edges[identity].setdefault(label, set()).add(family)


def _listed(items, limit=MAX_LISTED):
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return "%s, +%d more" % (", ".join(items[:limit]), len(items) - limit)


def build(declarations, egress=True, servers=True):
    """A Graph of a declarations mapping (validated like the modules do)."""
    declarations = declarations or {}
    desired = parse_declaration({"groups": declarations.get("groups") or [], "address_groups": declarations.get("address_groups") or []})
    worn = {}
    if servers:
        for entry in declarations.get("servers") or []:
            for group in entry.get("security_groups") or []:
                if entry.get("server") not in worn.setdefault(group, []):
                    worn[group].append(entry.get("server"))
    address_groups = dict((a.name, a) for a in desired.address_groups)
    graph = Graph()
    declared = set(g.name for g in desired.groups)
    for group in sorted(desired.groups, key=lambda g: g.name):
        lines = ["servers: %s" % _listed(worn[group.name])] if worn.get(group.name) else []
        graph.node("group", group.name, lines)
    for group in sorted(desired.groups, key=lambda g: g.name):
        group_id = graph.node("group", group.name)
        for rule in sorted(group.rules or (), key=lambda r: model.sort_key_of_rule_key(r.key)):
            key = rule.key
            if key.direction == "egress" and not egress:
                continue
            if key.remote_kind == model.REMOTE_GROUP:
                kind = "group" if key.remote in declared else "external_group"
                remote_id = graph.node(kind, key.remote)
            elif key.remote_kind == model.REMOTE_ADDRESS_GROUP:
                found = address_groups.get(key.remote)
                lines = ["address group"]
                if found is not None and found.addresses:
                    shown = list(found.addresses[:MAX_LISTED])
                    if len(found.addresses) > MAX_LISTED:
                        shown.append("+%d more" % (len(found.addresses) - MAX_LISTED))
                    lines.extend(shown)
                remote_id = graph.node("address_group", key.remote, lines)
            else:
                # One node per distinct remote: 0.0.0.0/0 and ::/0 are one "anywhere", for ingress and egress.
                remote_id = graph.node("cidr", key.remote or ANYWHERE)
            family = None if key.remote_kind == model.REMOTE_CIDR else key.ethertype
            if key.direction == "ingress":
                graph.edge(remote_id, group_id, "ingress", traffic_label(key), family)
            else:
                graph.edge(group_id, remote_id, "egress", traffic_label(key), family)
    return graph


def _edge_label(labels):
    parts = []
    for label in sorted(labels, key=_label_order):
        families = set(labels[label]) - set([None])
        if families == set(["IPv6"]):
            label += " (IPv6)"
        elif families == set(["IPv4", "IPv6"]):
            label += " (IPv4+IPv6)"
        parts.append(label)
    return parts


def _label_order(label):
    protocol, _sep, ports = label.partition("/")
    first = ports.split("-")[0]
    return (protocol in ("any", "protocol 0 (any)"), protocol, int(first) if first.isdigit() else -1, label)


# --- Mermaid ----------------------------------------------------------------


def _mermaid_text(text):
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("|", "#124;")


def to_mermaid(graph, title=None):
    lines = []
    if title:
        lines.extend(["---", "title: %s" % title.replace("\n", " "), "---"])
    lines.append("flowchart LR")
    shapes = {"group": ('["', '"]'), "external_group": ('["', '"]'), "address_group": ('{{"', '"}}'), "cidr": ('(["', '"])')}
    for node in graph.nodes:
        title = node["name"] if node["kind"] != "external_group" else "%s (not declared)" % node["name"]
        label = "<br/>".join(_mermaid_text(line) for line in [title] + list(node["lines"]))
        opening, closing = shapes[node["kind"]]
        lines.append("  %s%s%s%s" % (node["id"], opening, label, closing))
    for identity in graph.edge_order:
        source, target, direction = identity
        label = _mermaid_text(", ".join(_edge_label(graph.edges[identity])))
        arrow = "-->" if direction == "ingress" else "-.->"
        lines.append('  %s %s|"%s"| %s' % (source, arrow, label, target))
    lines.append("  classDef sg fill:#e8f0fe,stroke:#3367d6")
    lines.append("  classDef external fill:#f5f5f5,stroke:#999,stroke-dasharray:4 3")
    lines.append("  classDef addressgroup fill:#fef7e0,stroke:#e37400")
    lines.append("  classDef cidr fill:#fce8e6,stroke:#c5221f")
    for kind, css in (("group", "sg"), ("external_group", "external"), ("address_group", "addressgroup"), ("cidr", "cidr")):
        ids = [n["id"] for n in graph.nodes if n["kind"] == kind]
        if ids:
            lines.append("  class %s %s" % (",".join(ids), css))
    return "\n".join(lines) + "\n"


# --- Graphviz DOT -------------------------------------------------------------


def _dot_text(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_dot(graph, title=None):
    lines = ["digraph security_groups {", "  rankdir=LR;"]
    if title:
        lines.append('  label="%s"; labelloc=t;' % _dot_text(title))
    lines.append('  node [fontname="Helvetica", fontsize=11];')
    lines.append('  edge [fontname="Helvetica", fontsize=10];')
    styles = {
        "group": 'shape=box, style="rounded,filled", fillcolor="#e8f0fe", color="#3367d6"',
        "external_group": 'shape=box, style="rounded,dashed,filled", fillcolor="#f5f5f5", color="#999999"',
        "address_group": 'shape=hexagon, style=filled, fillcolor="#fef7e0", color="#e37400"',
        "cidr": 'shape=ellipse, style=filled, fillcolor="#fce8e6", color="#c5221f"',
    }
    for node in graph.nodes:
        name = node["name"] if node["kind"] != "external_group" else "%s (not declared)" % node["name"]
        label = "\n".join([name] + node["lines"])
        lines.append('  %s [label="%s", %s];' % (node["id"], _dot_text(label), styles[node["kind"]]))
    for identity in graph.edge_order:
        source, target, direction = identity
        label = "\n".join(_edge_label(graph.edges[identity]))
        style = "" if direction == "ingress" else ", style=dashed"
        lines.append('  %s -> %s [label="%s"%s];' % (source, target, _dot_text(label), style))
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(declarations, output_format="mermaid", egress=True, servers=True, title=None):
    if output_format not in FORMATS:
        raise ValueError("format must be one of %s, not %r" % (", ".join(FORMATS), output_format))
    graph = build(declarations, egress=egress, servers=servers)
    if output_format == "dot":
        return to_dot(graph, title)
    return to_mermaid(graph, title)
