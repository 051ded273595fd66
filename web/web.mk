# The web UI's targets, included by the Makefile. The build lands in src/wakedock/web/dist, which
# `wakedock serve` serves at /.
WEB        := web
WEB_DIST   := src/wakedock/web/dist/index.html
WEB_DEPS   := $(WEB)/node_modules/.package-lock.json
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
               $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/package-lock.json

.PHONY: web web-if-node client web-test screenshots

$(WEB_DEPS): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(WEB_DIST): $(WEB_DEPS) $(WEB_SOURCES)
	cd $(WEB) && npm run build

# Build the UI (needs Node.js 20+ and npm).
web: $(WEB_DIST)

# `make run`: build the UI when it is missing or stale; without Node.js, serve the API alone.
web-if-node:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory web; \
	else \
		echo "Node.js/npm not found: serving the API only. Install Node.js 20+ and run 'make web' for the UI."; \
	fi

# Regenerate web/openapi.json and the typed client from the running code's OpenAPI schema.
client: install $(WEB_DEPS)
	$(BIN)/python -m wakedock.web.openapi $(WEB)/openapi.json
	cd $(WEB) && npm run client

# Type-check, unit-test (Vitest) and lint the UI (ESLint: no import cycles, features apart;
# Prettier --check: printWidth 100).
web-test: $(WEB_DEPS)
	cd $(WEB) && npm run typecheck && npm test && npm run lint

# Refresh the README's screenshots (docs/screenshots) by running the browser tests.
screenshots: install web
	WAKEDOCK_TEST_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/web
