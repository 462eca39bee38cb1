# mizzen: the newcomer's commands are `make demo` and `make test`.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json
IMAGE ?= ghcr.io/mizzen-mesh/mizzen:0.1.0
CERTS_DIR ?= certs

.PHONY: all install build test unit demo certs manifests bench e2e-kind image clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES_STAMP)

install: $(NODE_MODULES_STAMP)

build: install
	npx tsc -p tsconfig.json

## Every test: type-check and build, then the whole mocha suite.
test: build
	npx mocha

## Tests only, without the build (faster while editing).
unit: install
	npx mocha

## The demo on the embedded default (the file config source, no cluster needed).
demo: build
	node dist/src/demo/run.js

certs: build
	node dist/src/cli.js certs --out $(CERTS_DIR)

## Renders manifests/ with the caBundle from certs/ into manifests/rendered/.
manifests: certs
	node dist/src/tools/render-manifests.js --certs-dir $(CERTS_DIR) --out manifests/rendered $(if $(MTLS),--mtls)

bench: build
	npm run bench:inject
	npm run bench:validate
	npm run bench:xds

e2e-kind: build
	bash test/e2e/kind/run.sh

image:
	docker build -t $(IMAGE) .

clean:
	rm -rf dist
