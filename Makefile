# Every target installs what it needs into .venv first; nothing has to be installed by hand.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# axe-core for the browser tests, installed from the lockfile (npm ci) like the Python pins.
NODE_STAMP := tests/web/node_modules/.installed
PORT ?= 3000

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit test-integration test-infra lint validate bench deps build deploy publish-web pr clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --silent && touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP) ## create .venv and install pinned dependencies

run: $(STAMP) ## start the local stack (moto server + HTTP API) on 127.0.0.1:$(PORT)
	PORT=$(PORT) $(VENV)/bin/ccpa-audit local

test: $(STAMP) $(NODE_STAMP) ## every test: unit, integration, infra, black-box, browser
	$(PY) -m pytest

test-unit: $(STAMP) ## unit tests only (no moto, sockets blocked)
	$(PY) -m pytest tests/unit

test-integration: $(STAMP) ## handlers through API Gateway v2 events under moto
	$(PY) -m pytest tests/integration

test-infra: $(STAMP) ## template checks and cfn-lint
	$(PY) -m pytest tests/infra

validate: $(STAMP) ## cfn-lint the SAM template
	$(VENV)/bin/cfn-lint template.yaml

bench: $(STAMP) ## print cold-start and warm-request figures
	$(PY) -m bench

deps: $(STAMP) ## regenerate shared/requirements.txt (the layer's pins) from constraints.txt
	$(PY) -m ccpa_audit.layer_requirements > shared/requirements.txt

build: ## sam build (needs the AWS SAM CLI)
	sam build

deploy: ## sam deploy --guided (needs AWS credentials)
	sam deploy --guided

publish-web: $(STAMP) ## after deploy: upload web/ to the stack's site bucket (STACK=ccpa-audit)
	$(VENV)/bin/ccpa-audit publish-web --stack $(or $(STACK),ccpa-audit)

pr: validate test ## what CI runs, plus lint

clean: ## remove .venv and caches
	rm -rf $(VENV) .pytest_cache build .aws-sam tests/web/node_modules
