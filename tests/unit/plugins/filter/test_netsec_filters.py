"""The filter plugins of issue 5: thin wrappers, clean errors, YAML that reads back unchanged."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.openstack.plugins.filter import declarations_yaml as yaml_filter
from ansible_collections.netsec.openstack.plugins.filter import drift_markdown as markdown_filter
from ansible_collections.netsec.openstack.plugins.filter import drift_report as report_filter
from ansible_collections.netsec.openstack.plugins.filter import security_groups_graph as graph_filter


class TaggedStr(str):
    """Stands in for Ansible's tagged strings (str subclasses the safe YAML dumper refuses)."""


DECLARATIONS = {
    "project": TaggedStr("demo"),
    "address_groups": [{"name": "office", "addresses": ["203.0.113.0/24", "2001:db8::/32"]}],
    "groups": [
        {
            "name": TaggedStr("web"),
            "description": "yes",
            "tags": ["on"],
            "rules": [
                {"protocol": "tcp", "port": "8000-8100", "remote_ip_prefix": ["10.0.0.0/8", "fd00::/8"]},
                {"direction": "egress", "description": "a: b, 'c'"},
            ],
        }
    ],
    "servers": [{"server": "web-1", "security_groups": ["web"], "ports": ["p1"]}],
}


def test_declarations_yaml_reads_back_unchanged_with_one_line_per_rule():
    text = yaml_filter.declarations_yaml(DECLARATIONS, schema="schema.json", header="Exported\nby test")
    assert text.startswith("# yaml-language-server: $schema=schema.json\n# Exported\n# by test\nproject: demo\n")
    assert yaml.safe_load(text) == DECLARATIONS
    assert "      - {protocol: tcp, port: 8000-8100, remote_ip_prefix: [10.0.0.0/8, 'fd00::/8']}\n" in text
    assert "  - {server: web-1, security_groups: [web], ports: [p1]}\n" in text
    assert "    description: 'yes'\n" in text and "    tags: ['on']\n" in text


def test_declarations_yaml_refuses_non_mappings():
    with pytest.raises(AnsibleFilterError, match="expected a declarations mapping"):
        yaml_filter.declarations_yaml([1])


def test_graph_filter_formats_and_errors():
    assert graph_filter.security_groups_graph(DECLARATIONS).startswith("flowchart LR")
    assert graph_filter.security_groups_graph(DECLARATIONS, format="dot").startswith("digraph")
    with pytest.raises(AnsibleFilterError, match="format must be one of"):
        graph_filter.security_groups_graph(DECLARATIONS, format="png")
    with pytest.raises(AnsibleFilterError, match=r"groups\[0\]: 'name' is required"):
        graph_filter.security_groups_graph({"groups": [{}]})
    with pytest.raises(AnsibleFilterError, match="expected a declarations mapping"):
        graph_filter.security_groups_graph("web")


def test_report_filters():
    report = report_filter.drift_report({"plan": [], "project_id": "p"}, {"skipped": True}, declarations=DECLARATIONS)
    assert report["status"] == "clean"
    assert "**No drift**" in markdown_filter.drift_markdown(report)
    with pytest.raises(AnsibleFilterError, match="the module failed"):
        report_filter.drift_report({"failed": True, "msg": "x"})
    with pytest.raises(AnsibleFilterError, match="expected a drift report"):
        markdown_filter.drift_markdown(None)


@pytest.mark.parametrize(
    "module, name",
    [
        (yaml_filter, "declarations_yaml"),
        (graph_filter, "security_groups_graph"),
        (report_filter, "drift_report"),
        (markdown_filter, "drift_markdown"),
    ],
)
def test_each_file_provides_the_filter_it_documents(module, name):
    assert list(module.FilterModule().filters()) == [name]
    assert yaml.safe_load(module.DOCUMENTATION)["name"] == name
