"""The bad-input corpus: invalid declarations and what the refusal must say.

Data only, shared by tests/integration/test_bad_input.py (every "argspec" and
"lookup" case and the "pure" cases in LIVE run the real modules against the
local cloud) and tests/unit/plugins/module_utils/test_bad_input_corpus.py
(every "pure" case, on the validation code directly).
"""

SGS = "netsec.openstack.security_groups"
SG = "netsec.openstack.security_group"
SSG = "netsec.openstack.server_security_groups"
AUDIT = "netsec.openstack.security_groups_audit"

# Placeholders replaced by the fixtures' real names (see ``substitute``).
SERVER = "@SERVER@"          # one server of the admin project, booted for these tests (its name is unique)
TWIN = "@TWIN@"              # a name two servers share
DUP = "@DUP@"                # a name two security groups of the admin project share
MISSING = "@MISSING@"        # a name nothing has


def rule(**fields):
    return {"groups": [{"name": "bad-input-g", "rules": [fields]}]}


def group(**fields):
    return {"groups": [dict({"name": "bad-input-g"}, **fields)]}


# (id, module, args, path the message must name, words the message must contain, kind)
# kind: "pure" - the declaration is wrong whatever the cloud holds (no request at all may be sent; the unit test
# tests/unit/plugins/module_utils/test_bad_input_corpus.py checks these on the pure code too);
# "argspec" - refused by the module's argument spec (no request either);
# "lookup" - only a lookup can tell (unknown or ambiguous names): reads only, no write.
CASES = [
    # --- security_groups: addresses and families
    ("cidr-octet", SGS, rule(remote_ip_prefix="10.0.0.300/8"), "groups[0].rules[0].remote_ip_prefix",
     ["'10.0.0.300/8' is not a valid IP address or CIDR"], "pure"),
    ("cidr-prefixlen", SGS, rule(remote_ip_prefix="10.0.0.0/33"), "groups[0].rules[0].remote_ip_prefix",
     ["not a valid IP address or CIDR"], "pure"),
    ("cidr-ipv6-prefixlen", SGS, rule(remote_ip_prefix="2001:db8::/129"), "groups[0].rules[0].remote_ip_prefix",
     ["not a valid IP address or CIDR"], "pure"),
    ("cidr-host-bits", SGS, rule(remote_ip_prefix="10.1.2.3/8"), "groups[0].rules[0].remote_ip_prefix",
     ["host bits", "10.0.0.0/8"], "pure"),
    ("cidr-in-list", SGS, rule(remote_ip_prefix=["10.0.0.0/8", "nope"]), "groups[0].rules[0].remote_ip_prefix[1]",
     ["'nope' is not a valid IP address or CIDR"], "pure"),
    ("cidr-empty-string", SGS, rule(remote_ip_prefix=""), "groups[0].rules[0].remote_ip_prefix",
     ["expected"], "pure"),
    ("cidr-empty-list", SGS, rule(remote_ip_prefix=[]), "groups[0].rules[0].remote_ip_prefix",
     ["expected"], "pure"),
    ("cidr-mapping", SGS, rule(remote_ip_prefix={"cidr": "10.0.0.0/8"}), "groups[0].rules[0].remote_ip_prefix",
     ["expected string or array", "mapping"], "pure"),
    ("family-v6-prefix-on-v4", SGS, rule(ethertype="IPv4", remote_ip_prefix="fd00::/8"),
     "groups[0].rules[0].remote_ip_prefix", ["IPv6 prefix", "ethertype is IPv4"], "pure"),
    ("family-v4-prefix-on-v6", SGS, rule(ethertype="IPv6", remote_ip_prefix="10.0.0.0/8"),
     "groups[0].rules[0].remote_ip_prefix", ["IPv4 prefix", "ethertype is IPv6"], "pure"),
    ("family-icmpv6-on-v4", SGS, rule(protocol="ipv6-icmp", ethertype="IPv4"), "groups[0].rules[0].protocol",
     ["IPv6 protocol", "IPv4"], "pure"),
    ("family-58-with-v4-prefix", SGS, rule(protocol=58, remote_ip_prefix="10.0.0.0/8"), "groups[0].rules[0].protocol",
     ["IPv6 protocol"], "pure"),
    ("family-disagree", SGS, rule(ethertype="IPv4", ether_type="IPv6"), "groups[0].rules[0].ether_type",
     ["disagree"], "pure"),
    ("ethertype-unknown", SGS, rule(ethertype="IPv5"), "groups[0].rules[0].ethertype",
     ["expected IPv4 or IPv6"], "pure"),
    # --- ports and ranges
    ("port-reversed", SGS, rule(protocol="tcp", port="30-20"), "groups[0].rules[0].port",
     ["reversed", "20-30"], "pure"),
    ("range-reversed", SGS, rule(protocol="udp", port_range_min=30, port_range_max=20), "groups[0].rules[0].port_range_min",
     ["greater than port_range_max"], "pure"),
    ("port-zero", SGS, rule(protocol="tcp", port=0), "groups[0].rules[0].port", ["within 1-65535"], "pure"),
    ("port-too-big", SGS, rule(protocol="tcp", port=70000), "groups[0].rules[0].port", ["65535"], "pure"),
    ("port-range-too-big", SGS, rule(protocol="tcp", port="1-65536"), "groups[0].rules[0].port", ["within 1-65535"], "pure"),
    ("port-negative", SGS, rule(protocol="tcp", port=-5), "groups[0].rules[0].port", ["expected"], "pure"),
    ("port-word", SGS, rule(protocol="tcp", port="ssh"), "groups[0].rules[0].port",
     ["not a port", "a number or a range 'min-max'"], "pure"),
    ("port-open-range", SGS, rule(protocol="tcp", port="22-"), "groups[0].rules[0].port", ["not a port"], "pure"),
    ("port-list-in-string", SGS, rule(protocol="tcp", port="22,80"), "groups[0].rules[0].port", ["not a port"], "pure"),
    ("port-float", SGS, rule(protocol="tcp", port=22.5), "groups[0].rules[0].port",
     ["expected integer or string", "float"], "pure"),
    ("range-zero", SGS, rule(protocol="tcp", port_range_min=0, port_range_max=0), "groups[0].rules[0].port_range_min",
     ["within 1-65535"], "pure"),
    ("range-as-strings", SGS, rule(protocol="tcp", port_range_min="22", port_range_max="23"),
     "groups[0].rules[0].port_range_m", ["expected integer"], "pure"),
    ("port-and-range", SGS, rule(protocol="tcp", port=22, port_range_min=22, port_range_max=22), "groups[0].rules[0].port",
     ["either port or port_range_min/port_range_max"], "pure"),
    ("port-on-icmp", SGS, rule(protocol="icmp", port=22), "groups[0].rules[0].port",
     ["do not apply to icmp", "icmp_type"], "pure"),
    ("port-on-any-protocol", SGS, rule(port=22), "groups[0].rules[0].port", ["need a port protocol", "protocol is any"], "pure"),
    ("port-on-explicit-any", SGS, rule(protocol="any", port="80-90"), "groups[0].rules[0].port",
     ["need a port protocol"], "pure"),
    ("range-on-any-protocol", SGS, rule(port_range_min=22, port_range_max=22), "groups[0].rules[0].port_range_min",
     ["need a port protocol", "protocol is any"], "pure"),
    ("port-on-gre", SGS, rule(protocol="gre", port=22), "groups[0].rules[0].port", ["need a port protocol", "gre"], "pure"),
    # --- ICMP
    ("icmp-code-without-type", SGS, rule(protocol="icmp", icmp_code=0), "groups[0].rules[0].icmp_code",
     ["needs icmp_type"], "pure"),
    ("icmp-code-without-type-range-spelling", SGS, rule(protocol="icmp", port_range_max=3), "groups[0].rules[0].port_range_max",
     ["needs an ICMP type"], "pure"),
    ("icmp-type-on-tcp", SGS, rule(protocol="tcp", icmp_type=8), "groups[0].rules[0].icmp_type",
     ["need protocol icmp or ipv6-icmp", "tcp"], "pure"),
    ("icmp-type-on-any", SGS, rule(icmp_type=8), "groups[0].rules[0].icmp_type", ["need protocol icmp"], "pure"),
    ("icmp-type-too-big", SGS, rule(protocol="icmp", icmp_type=256), "groups[0].rules[0].icmp_type", ["255"], "pure"),
    ("icmp-range-type-too-big", SGS, rule(protocol="icmp", port_range_min=300), "groups[0].rules[0].port_range_min",
     ["within 0-255"], "pure"),
    ("icmp-both-spellings", SGS, rule(protocol="icmp", icmp_type=8, port_range_min=8), "groups[0].rules[0].port_range_min",
     ["either icmp_type/icmp_code or port_range_min/port_range_max"], "pure"),
    # --- peer spellings: -1 and a:b (issue 13)
    ("range-minus-one-one-side", SGS, rule(protocol="tcp", port_range_min=-1), "groups[0].rules[0].port_range_min",
     ["both -1"], "pure"),
    ("range-minus-one-with-port", SGS, rule(protocol="udp", port_range_min=22, port_range_max=-1),
     "groups[0].rules[0].port_range_max", ["both -1"], "pure"),
    ("range-minus-one-on-gre", SGS, rule(protocol="gre", port_range_min=-1, port_range_max=-1),
     "groups[0].rules[0].port_range_min", ["need a port protocol", "gre", "-1 means all ports only"], "pure"),
    ("range-minus-one-on-any", SGS, rule(port_range_min=-1, port_range_max=-1), "groups[0].rules[0].port_range_min",
     ["protocol is any", "-1 means all ports only"], "pure"),
    ("range-minus-two", SGS, rule(protocol="tcp", port_range_min=-2, port_range_max=-2), "groups[0].rules[0].port_range_m",
     ["expected a port within 1-65535", "-1 on both ends"], "pure"),
    ("port-colon-zero", SGS, rule(protocol="tcp", port="0:0"), "groups[0].rules[0].port", ["within 1-65535"], "pure"),
    ("port-colon-reversed", SGS, rule(protocol="tcp", port="65535:1"), "groups[0].rules[0].port",
     ["reversed", "write 1:65535"], "pure"),
    ("port-colon-open", SGS, rule(protocol="tcp", port="22:"), "groups[0].rules[0].port",
     ["not a port", "'min:max'"], "pure"),
    ("port-colon-on-icmp", SGS, rule(protocol="icmp", port="8:0"), "groups[0].rules[0].port",
     ["do not apply to icmp", "icmp_type"], "pure"),
    # --- ICMP types per family (issue 14)
    ("icmp-v4-echo-on-v6", SGS, rule(protocol="ICMP", ethertype="IPv6", icmp_type=8), "groups[0].rules[0].icmp_type",
     ["type 8 is ICMP (IPv4) echo-request", "on IPv6, echo-request is type 128"], "pure"),
    ("icmp-v6-echo-on-v4", SGS, rule(protocol="icmp", icmp_type=128), "groups[0].rules[0].icmp_type",
     ["ICMPv6 echo-request", "on IPv4, echo-request is type 8"], "pure"),
    ("icmpv6-on-v4", SGS, rule(protocol="icmpv6", ethertype="IPv4", icmp_type=128), "groups[0].rules[0].protocol",
     ["IPv6 protocol", "IPv4"], "pure"),
    ("icmp-v4-type-range-spelling-on-v6-prefix", SGS,
     rule(protocol="icmp", port_range_min=8, port_range_max=0, remote_ip_prefix="2001:db8::/32"),
     "groups[0].rules[0].port_range_min", ["type 128"], "pure"),
    ("icmp-dual-stack-type", SGS, rule(protocol="icmp", icmp_type=3, remote_ip_prefix=["10.0.0.0/8", "fd00::/8"]),
     "groups[0].rules[0].icmp_type", ["one rule per family", "IPv6 destination-unreachable is type 1"], "pure"),
    ("icmp-v6-only-type-on-v4", SGS, rule(protocol="icmp", icmp_type=135), "groups[0].rules[0].icmp_type",
     ["neighbor-solicitation", "for IPv6 only"], "pure"),
    ("icmp-code-of-type", SGS, rule(protocol="icmp", icmp_type=8, icmp_code=3), "groups[0].rules[0].icmp_code",
     ["echo-request", "codes 0-0"], "pure"),
    ("one-icmp-v4-echo-on-v6", SG, {"name": "bad-input-g", "rules": [{"protocol": "icmp", "ethertype": "IPv6",
                                                                      "icmp_type": 8}]},
     "rules[0].icmp_type", ["type 128"], "pure"),
    ("file-icmp-v4-echo-on-v6", AUDIT, {"declarations": rule(protocol="icmp", ethertype="IPv6", icmp_type=8)},
     "groups[0].rules[0].icmp_type", ["type 128"], "pure"),
    # --- protocols and directions
    ("protocol-unknown", SGS, rule(protocol="tcpp"), "groups[0].rules[0].protocol", ["unknown protocol 'tcpp'", "0-255"], "pure"),
    ("protocol-number-too-big", SGS, rule(protocol=300), "groups[0].rules[0].protocol", ["255"], "pure"),
    ("protocol-negative-string", SGS, rule(protocol="-1"), "groups[0].rules[0].protocol", ["unknown protocol"], "pure"),
    ("protocol-boolean", SGS, rule(protocol=True), "groups[0].rules[0].protocol", ["expected string or integer", "boolean"], "pure"),
    ("protocol-empty", SGS, rule(protocol=""), "groups[0].rules[0].protocol", ["expected"], "pure"),
    ("direction-unknown", SGS, rule(direction="inbound"), "groups[0].rules[0].direction", ["ingress, egress"], "pure"),
    # --- remotes
    ("two-remotes-prefix-group", SGS, rule(protocol="tcp", remote_ip_prefix="10.0.0.0/8", remote_group="x"),
     "groups[0].rules[0]", ["at most one of remote_ip_prefix, remote_group, remote_address_group"], "pure"),
    ("two-remotes-group-address-group", SGS, rule(remote_group="x", remote_address_group="y"), "groups[0].rules[0]",
     ["at most one of"], "pure"),
    ("remote-group-empty", SGS, rule(remote_group=""), "groups[0].rules[0].remote_group", ["expected"], "pure"),
    ("remote-group-unknown", SGS, rule(protocol="tcp", port=22, remote_group=MISSING), "groups[0].rules[0].remote_group",
     ["unknown security group", MISSING, "not declared in this task and not found"], "lookup"),
    ("remote-address-group-unknown", SGS, rule(protocol="tcp", port=22, remote_address_group=MISSING),
     "groups[0].rules[0].remote_address_group",
     ["unknown address group", MISSING], "lookup"),
    ("remote-group-ambiguous", SGS, rule(protocol="tcp", port=22, remote_group=DUP), "groups[0].rules[0].remote_group",
     ["is ambiguous", DUP, "use one of the ids"], "lookup"),
    ("declared-name-ambiguous", SGS, {"groups": [{"name": DUP}]}, "groups[0].name", ["ambiguous", DUP], "lookup"),
    # --- unknown fields and typos
    ("typo-remote_ip", SGS, rule(protocol="tcp", port=22, remote_ip="10.0.0.0/8"), "groups[0].rules[0].remote_ip",
     ["unknown field 'remote_ip'", "did you mean 'remote_ip_prefix'"], "pure"),
    ("typo-port_range", SGS, rule(protocol="tcp", port_range="20-30"), "groups[0].rules[0].port_range",
     ["unknown field 'port_range'", "did you mean"], "pure"),
    ("typo-ports", SGS, rule(protocol="tcp", ports=22), "groups[0].rules[0].ports", ["did you mean 'port'"], "pure"),
    ("typo-protcol", SGS, rule(protcol="tcp"), "groups[0].rules[0].protcol", ["did you mean 'protocol'"], "pure"),
    ("typo-source", SGS, rule(protocol="tcp", source="10.0.0.0/8"), "groups[0].rules[0].source",
     ["unknown field 'source'", "expected one of"], "pure"),
    ("typo-group-rule", SGS, group(rule=[]), "groups[0].rule", ["did you mean 'rules'"], "pure"),
    ("typo-address-group-address", SGS, {"address_groups": [{"name": "a", "address": ["10.0.0.0/8"]}]},
     "address_groups[0].address", ["did you mean 'addresses'"], "pure"),
    ("unknown-module-option", SGS, {"group": [{"name": "x"}]}, "group", ["Unsupported parameters", "groups"], "argspec"),
    # --- wrong types and shapes
    ("rule-description-int", SGS, rule(description=5), "groups[0].rules[0].description", ["expected string", "integer"], "pure"),
    ("group-stateful-string", SGS, group(stateful="sometimes"), "groups[0].stateful", ["expected boolean"], "pure"),
    ("group-tags-string", SGS, group(tags="a,b"), "groups[0].tags", ["expected array"], "pure"),
    ("group-tag-empty", SGS, group(tags=[""]), "groups[0].tags[0]", ["expected"], "pure"),
    ("group-tag-too-long", SGS, group(tags=["t" * 256]), "groups[0].tags[0]", ["at most 255"], "pure"),
    ("rules-string", SGS, group(rules="tcp/22"), "groups[0].rules", ["expected array, got string"], "pure"),
    ("rules-mapping", SGS, group(rules={"protocol": "tcp"}), "groups[0].rules", ["expected array, got mapping"], "pure"),
    ("rule-string", SGS, group(rules=["tcp/22"]), "groups[0].rules[0]", ["expected object, got string"], "pure"),
    ("rule-null", SGS, group(rules=[None]), "groups[0].rules[0]", ["expected object, got null"], "pure"),
    ("group-null", SGS, {"groups": [None]}, "groups[0]", ["expected object"], "pure"),
    ("groups-mapping", SGS, {"groups": {"web": {"rules": []}}}, "groups", ["list"], "argspec"),
    ("groups-string", SGS, {"groups": "web"}, "groups", ["dict"], "argspec"),
    ("groups-list-of-lists", SGS, {"groups": [["web"]]}, "groups", ["dict"], "argspec"),
    ("address-group-addresses-string", SGS, {"address_groups": [{"name": "a", "addresses": "10.0.0.0/8"}]},
     "address_groups[0].addresses", ["expected array"], "pure"),
    ("address-bad", SGS, {"address_groups": [{"name": "a", "addresses": ["10.0.0.0/8", "nope"]}]},
     "address_groups[0].addresses[1]", ["not a valid IP address or CIDR"], "pure"),
    ("address-host-bits", SGS, {"address_groups": [{"name": "a", "addresses": ["10.0.0.1/8"]}]},
     "address_groups[0].addresses[0]", ["host bits", "10.0.0.0/8"], "pure"),
    ("state-unknown", SGS, dict(rule(), state="gone"), "state", ["present, absent"], "argspec"),
    ("purge-rules-word", SGS, dict(rule(), purge_rules="maybe"), "purge_rules", ["bool"], "argspec"),
    # --- names
    ("name-duplicate", SGS, {"groups": [{"name": "a"}, {"name": "b"}, {"name": "a"}]}, "groups[2].name",
     ["duplicate group name 'a'", "also groups[0]"], "pure"),
    ("name-empty", SGS, {"groups": [{"name": ""}]}, "groups[0].name", ["expected"], "pure"),
    ("name-blank", SGS, {"groups": [{"name": "   "}]}, "groups[0].name", ["expected"], "pure"),
    ("name-too-long", SGS, {"groups": [{"name": "n" * 256}]}, "groups[0].name", ["at most 255"], "pure"),
    ("name-too-long-multibyte", SGS, {"groups": [{"name": "\u00e9" * 256}]}, "groups[0].name", ["at most 255"], "pure"),
    ("name-missing", SGS, {"groups": [{"description": "no name"}]}, "groups[0]", ["'name' is required"], "pure"),
    ("name-null", SGS, {"groups": [{"name": None}]}, "groups[0].name", ["expected string, got null"], "pure"),
    ("description-too-long", SGS, group(description="d" * 256), "groups[0].description", ["at most 255"], "pure"),
    ("rule-description-too-long", SGS, rule(description="d" * 256), "groups[0].rules[0].description", ["at most 255"], "pure"),
    ("address-group-duplicate", SGS, {"address_groups": [{"name": "a"}, {"name": "a"}]}, "address_groups[1].name",
     ["duplicate address group name"], "pure"),
    ("same-rule-two-descriptions", SGS, {"groups": [{"name": "g", "rules": [
        {"protocol": "tcp", "port": 22, "description": "a"}, {"protocol": "6", "port": "22", "description": "b"}]}]},
     "groups[0].rules[1]", ["the same rule as groups[0].rules[0]", "one description"], "pure"),
    ("errors-all-at-once", SGS, {"groups": [{"name": "g", "rules": [
        {"protocol": "tcp", "port": "9-1"}, {"protocol": "icmp", "icmp_code": 1}, {"remote_ip": "10.0.0.0/8"}]}]},
     "groups[0].rules[2].remote_ip", ["groups[0].rules[0].port", "groups[0].rules[1].icmp_code", "3 errors"], "pure"),
    # --- security_group (one group; paths are relative to the group)
    ("one-port-reversed", SG, {"name": "bad-input-g", "rules": [{"protocol": "tcp", "port": 22}, {"protocol": "tcp", "port": "9-1"}]},
     "rules[1].port", ["reversed"], "pure"),
    ("one-typo", SG, {"name": "bad-input-g", "rules": [{"protocol": "tcp", "port_range": 22}]}, "rules[0].port_range",
     ["unknown field"], "pure"),
    ("one-name-too-long", SG, {"name": "n" * 256}, "name", ["at most 255"], "pure"),
    ("one-name-empty", SG, {"name": ""}, "name", ["expected"], "pure"),
    ("one-name-missing", SG, {"rules": []}, "name", ["missing required arguments"], "argspec"),
    ("one-rules-string", SG, {"name": "bad-input-g", "rules": "tcp/22"}, "rules", ["dict"], "argspec"),
    ("one-unknown-option", SG, {"name": "bad-input-g", "rule": []}, "rule", ["Unsupported parameters"], "argspec"),
    ("one-remote-group-unknown", SG, {"name": "bad-input-g", "rules": [{"protocol": "tcp", "port": 22, "remote_group": MISSING}]},
     "rules[0].remote_group", ["unknown security group", MISSING], "lookup"),
    # --- server_security_groups
    ("srv-typo-security_group", SSG, {"servers": [{"server": "s", "security_group": ["web"]}]},
     "servers[0].security_group", ["unknown field 'security_group'", "did you mean 'security_groups'?"], "pure"),
    ("srv-groups-string", SSG, {"servers": [{"server": "s", "security_groups": "web"}]}, "servers[0].security_groups",
     ["expected array"], "pure"),
    ("srv-missing-groups", SSG, {"servers": [{"server": "s"}]}, "servers[0]", ["'security_groups' is required"], "pure"),
    ("srv-mode", SSG, {"servers": [{"server": "s", "security_groups": ["w"], "mode": "replace"}]}, "servers[0].mode",
     ["exact, add, remove"], "pure"),
    ("srv-ports-word", SSG, {"servers": [{"server": "s", "security_groups": ["w"], "ports": "some"}]}, "servers[0].ports",
     ["expected 'all' or a list"], "pure"),
    ("srv-ports-empty", SSG, {"servers": [{"server": "s", "security_groups": ["w"], "ports": []}]}, "servers[0].ports",
     ["expected 'all' or a list"], "pure"),
    ("srv-server-empty", SSG, {"servers": [{"server": "", "security_groups": ["w"]}]}, "servers[0].server", ["expected"], "pure"),
    ("srv-entry-string", SSG, {"servers": ["web-1"]}, "servers", ["dict"], "argspec"),
    ("srv-listed-twice", SSG, {"servers": [{"server": "s", "security_groups": ["a"]}, {"server": "s", "security_groups": ["b"]}]},
     "servers[1].server", ["listed twice", "its own ports"], "pure"),
    ("srv-both-forms", SSG, {"server": "s", "security_groups": ["w"], "servers": []}, "server", ["mutually exclusive"], "argspec"),
    ("srv-no-groups", SSG, {"server": "s"}, "security_groups", ["required together"], "argspec"),
    ("srv-top-mode", SSG, {"server": "s", "security_groups": ["w"], "mode": "replace"}, "mode", ["exact, add, remove"], "argspec"),
    ("srv-unknown-server", SSG, {"server": MISSING, "security_groups": ["default"]}, "servers[0].server",
     ["server '%s' not found" % MISSING], "lookup"),
    ("srv-ambiguous-server", SSG, {"server": TWIN, "security_groups": ["default"]}, "servers[0].server",
     ["ambiguous", "use an id"], "lookup"),
    ("srv-unknown-group", SSG, {"server": SERVER, "security_groups": ["default", MISSING]}, "servers[0].security_groups[1]",
     ["security group '%s' not found" % MISSING], "lookup"),
    ("srv-ambiguous-group", SSG, {"server": SERVER, "security_groups": [DUP]}, "servers[0].security_groups[0]",
     ["ambiguous", "use an id"], "lookup"),
    ("srv-port-selector", SSG, {"server": SERVER, "security_groups": ["default"], "ports": ["no-such-net"]},
     "servers[0].ports[0]", ["no port of this server matches 'no-such-net'"], "lookup"),
    # --- a declarations file (security_groups_audit declarations=): YAML that parses to the wrong shape
    ("file-groups-mapping", AUDIT, {"declarations": {"groups": {"web": {}}}}, "groups", ["expected array, got mapping"], "pure"),
    ("file-unknown-key", AUDIT, {"declarations": {"group": []}}, "group", ["unknown key", "groups"], "pure"),
    ("file-servers-mapping", AUDIT, {"declarations": {"servers": {"web-1": ["web"]}}}, "servers", ["expected a list"], "pure"),
    ("file-string", AUDIT, {"declarations": "groups: []"}, "declarations", ["dict"], "argspec"),
]


# The "pure" cases that also run live (each module run costs ~2 s of CPU): at least one of every kind of mistake.
LIVE = frozenset([
    "cidr-octet", "cidr-host-bits", "cidr-in-list", "family-v6-prefix-on-v4", "family-icmpv6-on-v4",
    "ethertype-unknown", "port-reversed", "range-reversed", "port-word",
    "port-and-range", "port-on-icmp", "port-on-any-protocol", "port-on-gre",
    "icmp-code-without-type", "icmp-code-without-type-range-spelling", "icmp-type-on-tcp", "protocol-unknown",
    "direction-unknown", "two-remotes-prefix-group", "typo-remote_ip", "typo-port_range",
    "group-stateful-string", "rules-string", "address-host-bits", "name-duplicate", "name-empty",
    "name-blank", "name-too-long", "same-rule-two-descriptions", "errors-all-at-once",
    "one-port-reversed", "one-name-too-long", "srv-typo-security_group", "srv-groups-string",
    "srv-listed-twice", "file-groups-mapping", "file-unknown-key", "file-servers-mapping",
    "range-minus-one-one-side", "range-minus-one-on-gre", "port-colon-reversed", "icmp-v4-echo-on-v6",
    "icmp-v6-echo-on-v4", "icmp-dual-stack-type", "one-icmp-v4-echo-on-v6",
])
LIVE_CASES = [case for case in CASES if case[5] != "pure" or case[0] in LIVE]
