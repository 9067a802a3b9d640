# Development and test entry points for the netsec.openstack collection.
# `make help` lists the targets. `make demo` and `make test` work on a fresh machine.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# Targets run one at a time, in the order given: `test` lists its steps as prerequisites.
.NOTPARALLEL:

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
LOCALCLOUD := $(CURDIR)/tests/cloud/localcloud
CLOUD ?= netsec-admin
PYTEST_ARGS ?=
# Integration test files run on this many pytest-xdist workers (whole files per worker; 1 = serial).
INTEGRATION_WORKERS ?= 2

# The collection is used straight from the working tree: .cache/collections holds
# ansible_collections/netsec/openstack -> this checkout (ansible.cfg points there too).
COLLECTIONS := $(CURDIR)/.cache/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/netsec/openstack

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Sets OS_CLIENT_CONFIG_FILE (clouds netsec-admin, netsec-demo) for the local cloud.
CLOUD_ENV = eval "$$($(LOCALCLOUD) env)"

# has_tests DIR: true when DIR holds pytest files.
has_tests = [ -n "$$(find $(1) -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | head -n 1)" ]

.PHONY: help venv cloud cloud-stop cloud-status demo test unit integration sanity lint build \
	changelog-lint bench bench-scale bench-engine campaign sharing-faults compat clean releases releases-ci typecheck ruff
.PHONY: matrix matrix-ci certify docs ee

help:
	@echo "make demo            venv + local cloud + playbooks/demo.yml (CLOUD=$(CLOUD))"
	@echo "make test            every gate, in order: venv cloud ruff unit typecheck integration releases-ci matrix-ci sanity lint build changelog-lint docs"
	@echo "make venv            .venv with tests/requirements.txt; links the collection into .cache/collections"
	@echo "make cloud           start the local Keystone+Neutron (tests/cloud/); cloud-stop, cloud-status"
	@echo "                     NEUTRON_RELEASE=2024.1 (2023.1, 2025.1, ...): that Neutron release instead of the newest"
	@echo "make releases        compatibility suites on each Neutron release, a table (RELEASES, SUITES; docs/neutron-releases.md);"
	@echo "                     it switches the local cloud's Neutron in turn (and back at the end)"
	@echo "make releases-ci     the core suite on 2024.1 on a second cloud (ports 5100/9796); part of make test"
	@echo "make unit            pytest tests/unit"
	@echo "make ruff            ruff lint + format check (ruff.toml; also a pre-commit hook: .pre-commit-config.yaml)"
	@echo "make sharing-faults  every fault kind on share/unshare (make test runs a subset)"
	@echo "make typecheck       mypy on the engine's contracts (mypy.ini)"
	@echo "make integration     pytest tests/integration against the local cloud (starts it)"
	@echo "make sanity          ansible-test sanity on a staged copy of the collection (tests/gates/sanity.sh)"
	@echo "make lint            ansible-lint, production profile"
	@echo "make build           build + install the tarball, ansible-doc every module/role (tests/gates/build.sh)"
	@echo "make changelog-lint  antsibull-changelog lint"
	@echo "make compat          core integration tests with the oldest supported openstacksdk (tests/gates/compat.sh)"
	@echo "make campaign        full fault campaign, 200 runs (CAMPAIGN_RUNS, CAMPAIGN_SEED; docs/reliability.md)"
	@echo "make matrix          sanity + unit + core integration on ansible-core 2.16..2.19 (tests/gates/matrix.sh)"
	@echo "make matrix-ci       the part of the matrix CI runs: unit on 2.16 2.17 2.18, core integration on 2.16"
	@echo "make certify         galaxy-importer (1.0.0 rule), antsibull-docs lint, sanity on 2.16..2.19 (CERTIFY_VERSION)"
	@echo "make docs            the docs site, offline, warnings as errors (.cache/docs/build/html) + page check"
	@echo "make ee              build the execution environment image with podman and run the demo in it"
	@echo "make clean           remove .cache and tests/output (keeps .venv)"

$(VENV_STAMP): tests/requirements.txt requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r tests/requirements.txt -r requirements.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

venv: $(VENV_STAMP) $(COLLECTION_LINK)
	@# the link must point at this checkout, even if an older one was copied along
	@[ "$$(readlink $(COLLECTION_LINK))" = "$(CURDIR)" ] || ln -sfn $(CURDIR) $(COLLECTION_LINK)

# NEUTRON_RELEASE (or NETSEC_NEUTRON_RELEASE): the Neutron release to run; empty = the newest (tests/cloud/README.md).
NEUTRON_RELEASE ?= $(NETSEC_NEUTRON_RELEASE)
cloud:
	NETSEC_NEUTRON_RELEASE="$(NEUTRON_RELEASE)" $(LOCALCLOUD) start

cloud-stop:
	$(LOCALCLOUD) stop

cloud-status:
	$(LOCALCLOUD) status

demo: venv cloud
	$(CLOUD_ENV); ansible-playbook -i playbooks/inventory/localhost.yml playbooks/demo.yml -e cloud=$(CLOUD)

test: venv cloud ruff unit typecheck integration releases-ci matrix-ci sanity lint build changelog-lint docs
	@echo "make test: all gates passed"

unit: venv
	@if $(call has_tests,tests/unit); then \
		pytest tests/unit $(PYTEST_ARGS); \
	else \
		echo "unit: no tests under tests/unit yet"; \
	fi

integration: venv cloud
	@if $(call has_tests,tests/integration); then \
		$(CLOUD_ENV); pytest tests/integration -n $(INTEGRATION_WORKERS) --dist loadfile --durations=30 $(PYTEST_ARGS); \
	else \
		echo "integration: no tests under tests/integration yet"; \
	fi

sanity: venv
	tests/gates/sanity.sh

lint: venv
	ansible-lint

build: venv
	tests/gates/build.sh

changelog-lint: venv
	antsibull-changelog lint

# Benchmark against openstack.cloud (bench/README.md, docs/benchmark.md). Not part of `make test`.
# Every scenario by default: both Neutrons (sqlite :9696, MariaDB + 4 workers :9697), 50 servers.
# BENCH_REPS, BENCH_SCALES, BENCH_NEUTRON, BENCH_SERVERS, ...: see bench/README.md.
bench: venv cloud
	bench/setup-peer-venv.sh
	$(CLOUD_ENV); BENCH_NEUTRON="$${BENCH_NEUTRON-sqlite,mariadb}" BENCH_SERVERS="$${BENCH_SERVERS-50}" \
		$(BIN)/python bench/run.py
	if [ "$${BENCH_SCALE-1}" != 0 ]; then $(MAKE) bench-scale; fi

# The scale case (issue 17, bench/scale.py): 100 groups x 50 rules + a 1,000-rule group in one project vs the SDK
# floor, and 20 projects through the multi-project playbooks. SCALE_GROUPS, SCALE_RULES, SCALE_BIG, SCALE_PROJECTS...
bench-scale: venv cloud
	$(CLOUD_ENV); $(BIN)/python bench/scale.py

# The engine alone at the scale case's size, in-process on the in-memory Neutron (no cloud): CPU s per operation.
bench-engine: venv
	$(BIN)/python bench/engine_on_fake.py

# The full fault campaign (docs/reliability.md): random declaration changes x injected faults.
# CI runs a short one (30 runs) inside `make integration`. Figures go to tests/output/fault-campaign-*.json.
CAMPAIGN_RUNS ?= 200
CAMPAIGN_SEED ?= random
# Type hints on the engine's contracts (operation table, quota, run options, cloud layer, errors); mypy.ini.
TYPECHECK_FILES := _operations.py _quota.py _errors.py _executor.py _cloud/connection.py _cloud/calls.py
# ruff lint (ruff.toml): the same check .pre-commit-config.yaml runs before a commit.
ruff: venv
	ruff check .
	ruff format --check .

typecheck: venv
	mypy $(addprefix $(COLLECTION_LINK)/plugins/module_utils/,$(TYPECHECK_FILES))

# Every fault kind on sharing (tests/integration/test_sharing_faults.py); `make test` runs a subset of the kinds.
sharing-faults: venv cloud
	$(CLOUD_ENV); NETSEC_SHARING_FAULTS=all pytest tests/integration/test_sharing_faults.py -p no:cacheprovider -q $(PYTEST_ARGS)

campaign: venv cloud
	$(CLOUD_ENV); NETSEC_CAMPAIGN_RUNS=$(CAMPAIGN_RUNS) NETSEC_CAMPAIGN_SEED=$(CAMPAIGN_SEED) \
		pytest tests/integration/test_fault_campaign.py -p no:cacheprovider -q $(PYTEST_ARGS)

compat: venv cloud
	tests/gates/compat.sh $(PYTEST_ARGS)

clean:
	rm -rf .cache tests/output

# Older Neutron releases (issue 15, docs/neutron-releases.md): the compatibility suites against each
# release in turn, then a table release x suite (tests/output/releases/table.md). Not part of `make test`,
# which runs the core subset on 2024.1 (releases-ci). RELEASE_FLAGS=--no-compute for a cloud on other ports.
RELEASES ?= 2023.1 2024.1 2025.1 newest
SUITES ?= core groups attachments gitops bad-input peers older
RELEASE_FLAGS ?=
releases: venv
	$(BIN)/python tests/cloud/run-releases --releases "$(RELEASES)" --suites "$(SUITES)" --pytest $(BIN)/pytest \
		$(RELEASE_FLAGS) $(if $(PYTEST_ARGS),-- $(PYTEST_ARGS))

# CI's subset: the core suite on 2024.1, on a second cloud (ports 5100/9796, its own cache dir, no compute)
# that borrows the local cloud's installed venv for Keystone: the local cloud is never switched or stopped.
LOCAL_CLOUD_DIR := $(or $(NETSEC_CLOUD_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/netsec-openstack)
RELEASES_CI_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/netsec-releases-ci
RELEASES_CI_PORTS ?= 5100 9796
releases-ci: venv cloud
	export NETSEC_CLOUD_DIR=$(RELEASES_CI_DIR) NETSEC_KEYSTONE_PORT=$(word 1,$(RELEASES_CI_PORTS)) \
		NETSEC_NEUTRON_PORT=$(word 2,$(RELEASES_CI_PORTS)) \
		NETSEC_CLOUD_BASE_VENV=$(LOCAL_CLOUD_DIR)/venv NETSEC_CLOUD_COMPUTE=0; \
	rc=0; $(MAKE) releases RELEASES=2024.1 SUITES=core || rc=$$?; \
	$(LOCALCLOUD) stop --no-compute; exit $$rc

# The ansible-core matrix (tests/gates/matrix.sh): one cached venv per version in .cache/matrix/,
# a version x gate table at the end (also tests/output/matrix/table.txt). MATRIX_VERSIONS,
# MATRIX_GATES (sanity unit core) or MATRIX_PLAN ("2.16:unit,core 2.17:unit") narrow it.
# The "core" integration suite is defined once, in tests/integration/suites.txt
# (`tests/gates/suite.sh core` prints its pytest node ids).
matrix: venv cloud
	tests/gates/matrix.sh

# What `make test` runs of the matrix: unit tests on the ansible-core releases .venv does not
# have (2.19 is .venv's: `make unit`), the core integration suite on the oldest.
MATRIX_CI_PLAN ?= 2.16:unit,core 2.17:unit 2.18:unit
matrix-ci: venv cloud
	MATRIX_PLAN="$(MATRIX_CI_PLAN)" tests/gates/matrix.sh

# Certification checks (tests/gates/certify.sh). Fails below version 1.0.0 by design;
# `make certify CERTIFY_VERSION=1.0.0` checks a staged copy bumped to that version.
certify: venv
	CERTIFY_VERSION="$(CERTIFY_VERSION)" tests/gates/certify.sh

# The docs site (docs/site/build.sh, offline, sphinx -W), then every module/role/filter page and
# its options checked against ansible-doc (tests/gates/check_docs_site.py).
docs: venv
	docs/site/build.sh
	$(BIN)/python tests/gates/check_docs_site.py .cache/docs/build/html

# Build the execution environment image (docs/execution-environment/) with podman and run the
# demo playbook inside it against the local cloud (tests/gates/ee.sh).
ee: venv cloud
	tests/gates/ee.sh
