#!/usr/bin/env bash
# `make ee`: build the execution environment of docs/execution-environment/ with ansible-builder
# and podman, with this checkout's collection tarball in it, then run playbooks/demo.yml inside
# the image against the local cloud (host network, the local cloud's clouds.yaml mounted).
#
# Needs podman (Debian: apt-get install podman runc) and the definition's base image. The
# shipped definition uses quay.io/centos/centos:stream9; where that registry is out of reach,
# point EE_BASE_IMAGE at a local image (with EE_PACKAGE_MANAGER, EE_PYTHON for its package
# manager and Python 3.11+ interpreter), e.g. one made with debootstrap + `podman import`.
# EE_PODMAN_ARGS: extra `podman build`/`podman run` arguments. The defaults suit a VM whose
# kernel refuses raising rlimits and has hybrid cgroups (this project's machines): the runc
# runtime, cgroupfs, nofile/nproc limits at 1024.
set -euo pipefail
# shellcheck source=tests/gates/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$GATES_ROOT"

tag="${EE_TAG:-localhost/netsec-openstack-ee:dev}"
read -r -a podman_global <<<"${EE_PODMAN_GLOBAL:---cgroup-manager cgroupfs}"
read -r -a podman_args <<<"${EE_PODMAN_ARGS:---runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network host}"
start=$(date +%s)

command -v podman >/dev/null || { echo "ee: podman is not installed (apt-get install podman runc)" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/netsec-ee.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The collection as users get it: the built tarball.
src="$(stage_collection "$work/src")"
(cd "$work" && ansible-galaxy collection build --output-path "$work/def" "$src" >/dev/null)
tarball="$(basename "$(ls "$work"/def/*.tar.gz)")"

# The shipped definition, pointed at that tarball (and at another base image if asked).
cp docs/execution-environment/execution-environment.yml "$work/def/"
python - "$work/def" "$tarball" <<'PYTHON'
import os
import sys

import yaml

directory, tarball = sys.argv[1:3]
path = os.path.join(directory, "execution-environment.yml")
with open(path) as handle:
    definition = yaml.safe_load(handle)
definition.setdefault("additional_build_files", []).append({"src": tarball, "dest": "collections"})
with open(os.path.join(directory, "requirements.yml"), "w") as handle:
    yaml.safe_dump({"collections": [{"name": "/build/collections/" + tarball, "type": "file"}]}, handle)
if os.environ.get("EE_BASE_IMAGE"):
    definition["images"]["base_image"]["name"] = os.environ["EE_BASE_IMAGE"]
    definition["options"]["package_manager_path"] = os.environ.get("EE_PACKAGE_MANAGER", "/usr/bin/dnf")
    python = os.environ.get("EE_PYTHON", "/usr/bin/python3")
    definition["dependencies"]["python_interpreter"] = {"python_path": python}
    steps = definition.setdefault("additional_build_steps", {})
    # Debian's Python refuses pip into the system site-packages without this (PEP 668).
    steps.setdefault("prepend_base", []).append("ENV PIP_BREAK_SYSTEM_PACKAGES=1")
    steps.setdefault("prepend_builder", []).append("ENV PIP_BREAK_SYSTEM_PACKAGES=1")
    steps.setdefault("prepend_final", []).append("ENV PIP_BREAK_SYSTEM_PACKAGES=1")
with open(path, "w") as handle:
    yaml.safe_dump(definition, handle)
PYTHON

base="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["images"]["base_image"]["name"])' \
    "$work/def/execution-environment.yml")"
if ! podman image exists "$base" && ! podman "${podman_global[@]}" pull "$base"; then
    echo "ee: the base image $base is neither local nor pullable (no registry reachable?);" \
        "set EE_BASE_IMAGE to a local image" >&2
    exit 1
fi

echo "ee: building $tag from $base"
(cd "$work/def" && ansible-builder create -f execution-environment.yml -c context >/dev/null)
podman "${podman_global[@]}" build "${podman_args[@]}" -f "$work/def/context/Containerfile" -t "$tag" \
    "$work/def/context"

echo "ee: running playbooks/demo.yml in $tag against the local cloud"
clouds="$("$GATES_ROOT/tests/cloud/localcloud" env | sed -n "s/.*OS_CLIENT_CONFIG_FILE=['\"]\{0,1\}\([^'\" ]*\).*/\1/p")"
[ -f "$clouds" ] || { echo "ee: no clouds.yaml from tests/cloud/localcloud env (make cloud)" >&2; exit 1; }
# As root in the container: the clouds.yaml (credentials) stays readable by its owner only.
podman "${podman_global[@]}" run --rm "${podman_args[@]}" --user root \
    -v "$clouds:/runner/clouds.yaml:ro,Z" -e OS_CLIENT_CONFIG_FILE=/runner/clouds.yaml \
    "$tag" bash -c 'set -e; cd /tmp; ansible-galaxy collection list netsec.openstack
        demo="$(find /usr/share/ansible/collections ~/.ansible/collections -path "*/netsec/openstack/playbooks/demo.yml" \
            2>/dev/null | head -n 1)"
        ansible-playbook -i localhost, -c local "$demo" -e cloud=netsec-admin \
            -e ansible_python_interpreter="$(command -v python3)"'
echo "ee: passed in $(elapsed "$start"): image $tag built, demo ran inside it"
