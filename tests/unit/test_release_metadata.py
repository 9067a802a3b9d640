"""What users install from agrees with what the collection claims (issue 18).

No upper bound on ansible-core where users install from; requires_ansible, requirements.txt and
the README state the same lower bound; the README names the versions the matrix tests.
"""

import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return handle.read()


def ansible_core_spec(requirements_text):
    specs = [line.split("#")[0].strip() for line in requirements_text.splitlines() if re.match(r"^\s*ansible-core\b", line)]
    assert len(specs) == 1, specs
    return specs[0].removeprefix("ansible-core").replace(" ", "")


def lower_bound(spec):
    found = re.findall(r">=([0-9.]+)", spec)
    assert len(found) == 1, spec
    parts = [int(part) for part in found[0].split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def assert_no_upper_bound(spec, where):
    assert not re.search(r"<|==|~=|!=", spec), "%s caps ansible-core: %s" % (where, spec)


def test_requirements_txt_has_no_upper_bound_and_the_runtime_lower_bound():
    spec = ansible_core_spec(read("requirements.txt"))
    assert_no_upper_bound(spec, "requirements.txt")
    runtime = yaml.safe_load(read("meta", "runtime.yml"))["requires_ansible"]
    assert_no_upper_bound(runtime, "meta/runtime.yml requires_ansible")
    assert lower_bound(spec) == lower_bound(runtime)


def test_execution_environment_definition_has_no_upper_bound():
    definition = yaml.safe_load(read("docs", "execution-environment", "execution-environment.yml"))
    assert_no_upper_bound(definition["dependencies"]["ansible_core"]["package_pip"], "the EE definition")


def test_readme_states_the_range_and_the_tested_versions():
    readme = read("README.md")
    start, end = readme.index("## Requirements"), readme.index("## Installing")
    requirements = readme[start:end]
    runtime = yaml.safe_load(read("meta", "runtime.yml"))["requires_ansible"]
    minimum = "%d.%d" % lower_bound(runtime)[:2]
    assert "ansible-core %s or newer" % minimum in requirements
    assert "no upper bound" in requirements
    matrix = re.search(r"MATRIX_VERSIONS:-([0-9. ]+)\}", read("tests", "gates", "matrix.sh")).group(1).split()
    assert matrix[0] == minimum, "the matrix must start at the minimum ansible-core"
    for version in matrix:
        assert version in requirements, "README does not name tested ansible-core %s" % version
    assert "Python 3.12" in requirements, "README must say why 2.20+ is not tested here"


def test_readme_has_the_versioning_and_deprecation_policy():
    readme = read("README.md")
    start = readme.index("## Versioning and deprecation policy")
    policy = readme[start:]
    policy = policy[: policy.index("\n## ")]
    for term in ("semantic versioning", "option", "default", "return key", "declaration key", "deprecat", "major release"):
        assert term in policy.lower(), term
