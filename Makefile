# gatehouse — one plain Makefile.
#   make              build app/gatehouse
#   make run / stop   the whole local stack on loopback (see scripts/stack.sh)
#   make test         every layer; ends with one "N passed, N failed" line
#   make test SANITIZE=1   the same with ASan + UBSan
#   make bench        wrk against the running stack, ratios to two ceilings
#   make fuzz         longer libFuzzer runs of every parser
#   make soak         10 minutes of mixed traffic: 0 errors, flat memory, no fd growth
#   make valgrind     integration flows against a pool under memcheck: no errors or leaks
#   make install      binary, data and deploy files under PREFIX (/usr/local); DESTDIR stages
#   make deps         install what is missing (apt-get, npm ci)

CC       ?= cc
PKGS     := json-c libpq libcurl openssl libjwt libqrencode
WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
            -Wshadow -Wcast-qual -Wno-missing-field-initializers
# The libraries' flags are asked of pkg-config when a recipe first needs
# them, not when make reads this file: on a fresh machine the -dev packages
# arrive only with `deps`, which every compile and link waits for (an
# order-only prerequisite). Each is asked once per make run.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -Iapp $(PKG_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lfcgi -pthread -lm

ifeq ($(SANITIZE),1)
BUILD    := build/san
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
BUILD    := build/rel
endif

APP_SRC  := $(shell find app -name '*.c' ! -name main.c | sort)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libgatehouse.a
BIN      := app/gatehouse
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run stop test unit bench fuzz clean soak
all: $(BIN)

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(APP_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/gatehouse: $(BUILD)/app/server/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# app/gatehouse is the binary `make run` and operators use.
$(BIN): $(BUILD)/gatehouse
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

deps:
	@scripts/deps.sh

run: deps $(BIN)
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop

# The stack and the tests run $(BUILD)/gatehouse: with SANITIZE=1 that is the
# instrumented build, and app/gatehouse stays the release one.
test: deps $(BUILD)/gatehouse $(UNIT_BIN) $(BUILD)/tests/bench-responder
	@SANITIZE=$(SANITIZE) BUILD=$(BUILD) GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse scripts/test.sh $(UNIT_BIN)

bench: deps $(BIN) $(BUILD)/tests/bench-responder
	@BUILD=$(BUILD) scripts/bench.sh

# Lighthouse on /login, /signup, /account and /admin of a running stack
# (STACK_PROFILE, default test), mobile and desktop: every category >= 95.
.PHONY: lighthouse
lighthouse: deps
	@node tests/lighthouse/run.mjs

$(BUILD)/tests/bench-responder: tests/bench/responder.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lfcgi

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
# The app is compiled once for all harnesses (instrumented for coverage,
# not linked with the fuzzer's main), and each harness links against it.
FUZZ_FLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -Iapp \
             -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)
FUZZ_OBJ := $(APP_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_LIB := build/fuzz/libgatehouse.a
build/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)
fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} scripts/fuzz.sh $(FUZZ_BIN)

# The soak (tests/soak/run.sh) and the memcheck run (scripts/valgrind.sh)
# start a stack of their own, like test, and stop it when done.
soak: deps $(BUILD)/gatehouse
	@BUILD=$(BUILD) GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse tests/soak/run.sh

.PHONY: valgrind
valgrind: deps $(BUILD)/gatehouse
	@BUILD=$(BUILD) GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse scripts/valgrind.sh

clean:
	rm -rf build $(BIN)

# make install: the binary to $(PREFIX)/bin; the templates, static files,
# migrations, Bootstrap's dist/ (node_modules/bootstrap, see docs/DEPLOY.md),
# the docs and the deployment files (systemd units, nginx site) to
# $(PREFIX)/share/gatehouse. static/errors is made empty: each site renders
# its own pages into it with `gatehouse error-pages`, and an upgrade must not
# overwrite them. DESTDIR stages everything under another root (packaging).
# Nothing here chowns or touches the running system, so with DESTDIR it needs
# no root: the units and the nginx site are copies for the operator to put in
# place (docs/DEPLOY.md), with /usr/local in them rewritten to $(PREFIX).
PREFIX         = /usr/local
SHARE_DIR      = $(PREFIX)/share/gatehouse
BOOTSTRAP_DIST = node_modules/bootstrap/dist
DEPLOY_FILES   = $(wildcard deploy/systemd/* deploy/nginx/*)
DOC_FILES      = docs/DEPLOY.md docs/SCALING.md

.PHONY: install
install: $(BIN)
	@test -f $(BOOTSTRAP_DIST)/css/bootstrap.min.css || \
	  { echo "install: $(BOOTSTRAP_DIST) is missing: see docs/DEPLOY.md, section 2" >&2; exit 1; }
	install -d -m 755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHARE_DIR)/deploy $(DESTDIR)$(SHARE_DIR)/doc
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/gatehouse
	@set -e; \
	copy_tree() { \
	  find "$$1" -path static/errors -prune -o -type d -print | \
	    while read -r d; do install -d -m 755 "$$2$${d#"$$1"}"; done; \
	  find "$$1" -path static/errors -prune -o -type f -print | \
	    while read -r f; do install -m 644 "$$f" "$$2$${f#"$$1"}"; done; \
	  echo "installed $$1/ in $$2/"; \
	}; \
	copy_tree templates $(DESTDIR)$(SHARE_DIR)/templates; \
	copy_tree static $(DESTDIR)$(SHARE_DIR)/static; \
	install -d -m 755 $(DESTDIR)$(SHARE_DIR)/static/errors; \
	copy_tree sql $(DESTDIR)$(SHARE_DIR)/sql; \
	copy_tree $(BOOTSTRAP_DIST) $(DESTDIR)$(SHARE_DIR)/vendor/bootstrap; \
	for f in $(DEPLOY_FILES); do \
	  sed 's|/usr/local|$(PREFIX)|g' "$$f" >"$(DESTDIR)$(SHARE_DIR)/deploy/$${f##*/}"; \
	  chmod 644 "$(DESTDIR)$(SHARE_DIR)/deploy/$${f##*/}"; \
	done; \
	echo "installed $(DEPLOY_FILES) in $(DESTDIR)$(SHARE_DIR)/deploy/"; \
	install -m 644 $(DOC_FILES) $(DESTDIR)$(SHARE_DIR)/doc/

-include $(shell find build -name '*.d' 2>/dev/null)
