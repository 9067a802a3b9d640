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
	changelog-lint bench bench-scale campaign compat clean

help:
	@echo "make demo            venv + local cloud + playbooks/demo.yml (CLOUD=$(CLOUD))"
	@echo "make test            every gate, in order: venv cloud unit integration sanity lint build changelog-lint"
	@echo "make venv            .venv with tests/requirements.txt; links the collection into .cache/collections"
	@echo "make cloud           start the local Keystone+Neutron (tests/cloud/); cloud-stop, cloud-status"
	@echo "make unit            pytest tests/unit"
	@echo "make integration     pytest tests/integration against the local cloud (starts it)"
	@echo "make sanity          ansible-test sanity on a staged copy of the collection (tests/gates/sanity.sh)"
	@echo "make lint            ansible-lint, production profile"
	@echo "make build           build + install the tarball, ansible-doc every module/role (tests/gates/build.sh)"
	@echo "make changelog-lint  antsibull-changelog lint"
	@echo "make compat          core integration tests with the oldest supported openstacksdk (tests/gates/compat.sh)"
	@echo "make campaign        full fault campaign, 200 runs (CAMPAIGN_RUNS, CAMPAIGN_SEED; docs/reliability.md)"
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

cloud:
	$(LOCALCLOUD) start

cloud-stop:
	$(LOCALCLOUD) stop

cloud-status:
	$(LOCALCLOUD) status

demo: venv cloud
	$(CLOUD_ENV); ansible-playbook -i playbooks/inventory/localhost.yml playbooks/demo.yml -e cloud=$(CLOUD)

test: venv cloud unit integration sanity lint build changelog-lint
	@echo "make test: all gates passed"

unit: venv
	@if $(call has_tests,tests/unit); then \
		pytest tests/unit $(PYTEST_ARGS); \
	else \
		echo "unit: no tests under tests/unit yet"; \
	fi

integration: venv cloud
	@if $(call has_tests,tests/integration); then \
		$(CLOUD_ENV); pytest tests/integration -n $(INTEGRATION_WORKERS) --dist loadfile $(PYTEST_ARGS); \
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

# The full fault campaign (docs/reliability.md): random declaration changes x injected faults.
# CI runs a short one (30 runs) inside `make integration`. Figures go to tests/output/fault-campaign-*.json.
CAMPAIGN_RUNS ?= 200
CAMPAIGN_SEED ?= random
campaign: venv cloud
	$(CLOUD_ENV); NETSEC_CAMPAIGN_RUNS=$(CAMPAIGN_RUNS) NETSEC_CAMPAIGN_SEED=$(CAMPAIGN_SEED) \
		pytest tests/integration/test_fault_campaign.py -p no:cacheprovider -q $(PYTEST_ARGS)

compat: venv cloud
	tests/gates/compat.sh $(PYTEST_ARGS)

clean:
	rm -rf .cache tests/output
