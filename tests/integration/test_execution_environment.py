"""AWX / Automation Platform: ansible-builder makes a build context, and finds the collection's requirements."""

import os
import shutil
import subprocess
import sys

import yaml

from conftest import COLLECTIONS, ROOT

BUILDER = os.path.join(os.path.dirname(sys.executable), "ansible-builder")
EXAMPLE = os.path.join(ROOT, "docs", "execution-environment")


def builder(*args, cwd=None):
    assert os.path.exists(BUILDER), "ansible-builder is not installed in the venv (tests/requirements.txt; make venv)"
    completed = subprocess.run([BUILDER] + list(args), cwd=cwd, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_meta_execution_environment_names_the_requirement_files():
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    for name in meta["dependencies"].values():
        assert os.path.getsize(os.path.join(ROOT, name)) > 0


def test_ansible_builder_create_makes_a_build_context(tmp_path):
    for name in os.listdir(EXAMPLE):
        shutil.copy(os.path.join(EXAMPLE, name), str(tmp_path))
    output = builder("create", "-f", "execution-environment.yml", "-c", "context", "--output-filename", "Containerfile", cwd=str(tmp_path))
    assert "Complete!" in output
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    assert "quay.io/centos/centos:stream9" in containerfile and "ansible-galaxy" in containerfile
    assert yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"][0]["name"] == "netsec.openstack"


def test_ansible_builder_introspect_finds_the_collections_requirements():
    # What the builder runs inside the image once the collection is installed: here on this checkout.
    found = yaml.safe_load(builder("introspect", "--sanitize", COLLECTIONS))
    python = [line.split("#")[0].strip() for line in found["python"] if "netsec.openstack" in line]
    assert python == ["openstacksdk>=4.5", "jsonschema>=4"]
    assert any("netsec.openstack" in line for line in found["system"])
