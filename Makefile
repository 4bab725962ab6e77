# SPDX-License-Identifier: BSD-2-Clause
# oneM2M SAE for nginx: one entry point for build, test, run and install.
#
#   make            build the provider, the client library, the nginx module
#   make test       build everything and run every Check suite
#   make run        start the door-lock gateway demo in the foreground
#   make run-cert   start the MN-CSE <-> IN-CSE certificate SAE demo
#   make run-maf    start the MAF, register the phone's key, the IN-CSE
#   make bench      run the table benchmark (not part of make test)
#   make compat     build nginx 1.26/1.30/1.31 and OpenSSL 3.5 from ../shared/src
#                   and run every Check suite on each (tools/compat.mk)
#   make bench-tls  handshake/request benchmark, writes bench/RESULTS.md
#   make bench-fleet  three nginx, one PostgreSQL: revocation latency and
#                   onboarding under load (docs/fleet.md)
#   make fuzz       fuzz the table parser, kpsa: URIs and the oneM2M ID
#                   grammar (clang, libFuzzer)
#   make install    install the provider, the module and its load snippet
#                   under prefix (default /usr/local) into DESTDIR
#   make uninstall  remove exactly what "make install" put there
#   make deb-test   build the Debian packages (debian/), lintian, install
#                   them into the system nginx, serve the seed's lock 1,
#                   remove and purge them (root; .ci/deb-test)
#
# "make" and "make install" never install Debian packages: missing ones are
# named with the exact apt-get line.  "make test" and "make run" set up a
# fresh Debian 12 machine: as root they install the missing packages.

# bash: Debian's nginx-dev conf_flags is a bash array
SHELL      := /bin/bash
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror=implicit-function-declaration -Wno-unused-parameter
OSSL_MODULES_DIR := $(shell openssl version -m 2>/dev/null | sed -n 's/^MODULESDIR: "\(.*\)"/\1/p')
NGX_SRC    ?= /usr/share/nginx/src
NGX_BIN    ?= /usr/sbin/nginx

APT_PKGS   := build-essential pkg-config libssl-dev openssl check nginx nginx-dev \
              gnutls-bin valgrind fail2ban liblmdb-dev libpq-dev postgresql-15 \
              libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev strace
APT_GET    ?= apt-get
# yes: "deps" installs what is missing (as root); the README's two set-up
# commands (and run-cert) do, a plain "make" or "make install" does not
DEPS_INSTALL ?= $(if $(filter test run run-cert run-maf,$(MAKECMDGOALS)),yes,no)

# provider/common: pure C shared by the provider, the client library (and
# so the nginx module) and the fuzz targets: the oneM2M identifier grammar
COMMON_SRCS := $(sort $(wildcard provider/common/*.c))
COMMON_HDRS := $(wildcard provider/common/*.h)
# provider/store: the LMDB store and the key envelope (liblmdb, libcrypto),
# shared by the provider, onem2m-kpsa and the sync daemon; STORE_LIB holds
# it with provider/common, for programs that link nothing else of ours
STORE_SRCS := $(sort $(wildcard provider/store/*.c))
STORE_HDRS := $(wildcard provider/store/*.h)
STORE_LIB  := $(BUILD)/libkpsa_store.a
LMDB_LIBS  := -llmdb
PROV_SRCS  := $(sort $(wildcard provider/src/*.c)) $(STORE_SRCS) $(COMMON_SRCS)
PROV_HDRS  := $(wildcard provider/src/*.h) provider/onem2m_sae.h $(COMMON_HDRS) \
              $(STORE_HDRS)
API_SRCS   := $(sort $(wildcard provider/api/*.c)) $(COMMON_SRCS)
API_OBJS   := $(API_SRCS:%.c=$(BUILD)/%.o)
PROVIDER   := $(BUILD)/provider/onem2m.so
# the provider's own table code for onem2m-kpsa (internal/onem2m_table.h):
# the same sources as onem2m.so, so the tool checks with the parser's rules
TABLE_LIB  := $(BUILD)/libonem2m_table.a
API_LIB    := $(BUILD)/libonem2m_sae.a
NGX_MODULE := $(BUILD)/nginx/objs/ngx_http_onem2m_sae_module.so
NGX_MOD_SRCS := $(wildcard nginx-module/*.c nginx-module/*.h) nginx-module/config \
                nginx-module/ngx_http_onem2m_sae_module.map

TEST_SRCS  := $(sort $(wildcard tests/*.c tests/*/*.c))
TEST_BIN   := $(BUILD)/tests/check_all
# psk_load is the load client of bench-tls, not a benchmark of its own
PSK_LOAD_SRCS := bench/psk_load.c bench/psk_load_conn.c
BENCH_SRCS := $(filter-out $(PSK_LOAD_SRCS),$(sort $(wildcard bench/*.c)))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
KPSA_SRCS  := $(sort $(wildcard tools/onem2m-kpsa/*.c))
KPSA_BIN   := $(BUILD)/tools/onem2m-kpsa
# onem2m-sync, the per-node sync daemon of a fleet (docs/fleet.md)
SYNC_SRCS  := $(sort $(wildcard tools/onem2m-sync/*.c))
SYNC_BIN   := $(BUILD)/tools/onem2m-sync
PQ_CFLAGS  := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PQ_LIBS    := -lpq
PSK_LOAD   := $(BUILD)/bench/psk_load
# onem2m-maf, the MAF behind nginx, and onem2m-maf-client, the phone side
# (docs/maf.md)
MAF_SRCS   := $(sort $(wildcard tools/onem2m-maf/*.c))
MAF_BIN    := $(BUILD)/tools/onem2m-maf
MAFC_SRCS  := $(sort $(wildcard tools/onem2m-maf-client/*.c))
MAFC_BIN   := $(BUILD)/tools/onem2m-maf-client

SSL_LIBS   := -lssl -lcrypto
TEST_DEFS  := -DTOP_SRCDIR='"$(CURDIR)"' -DBUILD_DIR='"$(abspath $(BUILD))"' \
              -DNGINX_BIN='"$(NGX_BIN)"'

.PHONY: all deps provider module kpsa sync maf tests test run run-cert run-maf bench bench-tls \
        bench-fleet bench-maf install install-sync uninstall-sync clean valgrind fuzz \
        provider-files install-provider \
        install-module install-strip uninstall uninstall-provider \
        uninstall-module deb-test

all: deps provider module kpsa sync maf tests

# Missing build dependencies are named with the exact apt-get line.  With
# DEPS_INSTALL=yes (make test, make run) and as root they are installed,
# saying so; otherwise the build stops there.
deps:
	@missing=""; \
	for p in $(APT_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	echo "missing Debian packages:$$missing"; \
	if [ "$(DEPS_INSTALL)" != yes ] || [ "$$(id -u)" != 0 ]; then \
	    echo "    apt-get install -y$$missing"; \
	    echo "(as root, \"make test\" or \"make run\" install them)"; \
	    exit 1; \
	fi; \
	echo "installing them: $(APT_GET) install -y$$missing"; \
	$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive \
	    $(APT_GET) install -y -qq $$missing >/dev/null

provider: $(PROVIDER) $(API_LIB) $(STORE_LIB) $(TABLE_LIB)

$(PROVIDER): $(PROV_SRCS) $(PROV_HDRS) provider/internal/sae_dispatch.h provider/src/provider.map
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -shared -fvisibility=hidden \
	    -Iprovider $(LDFLAGS) \
	    -Wl,--version-script=provider/src/provider.map -Wl,-z,defs \
	    -o $@ $(PROV_SRCS) $(LMDB_LIBS) -lcrypto

$(BUILD)/provider/%.o: provider/%.c $(PROV_HDRS) $(wildcard provider/api/*.h provider/internal/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -ffunction-sections -fdata-sections \
	    -Iprovider -c -o $@ $<

$(API_LIB): $(API_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(STORE_LIB): $(STORE_SRCS:%.c=$(BUILD)/%.o) $(COMMON_SRCS:%.c=$(BUILD)/%.o)
	@rm -f $@
	ar rcs $@ $^

$(TABLE_LIB): $(PROV_SRCS:%.c=$(BUILD)/%.o)
	@rm -f $@
	ar rcs $@ $^

# The module is built against Debian's own nginx-dev tree with Debian's
# configure flags, so the .so loads into the distribution's /usr/sbin/nginx.
module: $(NGX_MODULE)

# configure lists provider/api/*.c and provider/common/*.c, so a new file
# there means configuring anew; so does a new export map (a link flag).
$(BUILD)/nginx/objs/Makefile: nginx-module/config \
                             nginx-module/ngx_http_onem2m_sae_module.map $(API_SRCS)
	@rm -rf $(BUILD)/nginx && mkdir -p $(BUILD)/nginx
	cp -a $(NGX_SRC)/. $(BUILD)/nginx/
	cd $(BUILD)/nginx && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="-I$(CURDIR)/provider" \
	        --add-dynamic-module=$(CURDIR)/nginx-module >configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }

$(NGX_MODULE): $(BUILD)/nginx/objs/Makefile $(NGX_MOD_SRCS) $(API_SRCS) $(PROV_HDRS) \
               $(wildcard provider/api/*.h provider/internal/*.h)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules >/dev/null
	@touch $@

# onem2m-kpsa, the table tool: it links the provider's table code
# (TABLE_LIB, through provider/internal/ only), so its checks are the
# parser's own; the linker drops the provider entry points it does not call.
kpsa: $(KPSA_BIN)

$(KPSA_BIN): $(KPSA_SRCS) tools/onem2m-kpsa/kpsa.h $(TABLE_LIB) $(PROV_HDRS) \
             $(wildcard provider/internal/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Iprovider $(PQ_CFLAGS) $(LDFLAGS) \
	    -Wl,--gc-sections -o $@ $(KPSA_SRCS) $(TABLE_LIB) $(PQ_LIBS) \
	    $(LMDB_LIBS) -lcrypto

# onem2m-sync: libpq and the store library, no provider (it never holds a
# KEK: it copies sealed keys)
sync: $(SYNC_BIN)

$(SYNC_BIN): $(SYNC_SRCS) tools/onem2m-sync/sync.h $(STORE_LIB) $(STORE_HDRS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Iprovider $(PQ_CFLAGS) $(LDFLAGS) \
	    -o $@ $(SYNC_SRCS) $(STORE_LIB) $(PQ_LIBS) $(LMDB_LIBS) -lcrypto

# the MAF: libmicrohttpd, jansson, libpq and the store library (envelope)
maf: $(MAF_BIN) $(MAFC_BIN)

$(MAF_BIN): $(MAF_SRCS) tools/onem2m-maf/maf.h $(STORE_LIB) $(STORE_HDRS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Iprovider $(PQ_CFLAGS) -o $@ $(MAF_SRCS) \
	    $(STORE_LIB) -lmicrohttpd -ljansson $(PQ_LIBS) $(LMDB_LIBS) \
	    -lcrypto -lpthread

$(MAFC_BIN): $(MAFC_SRCS) $(wildcard tools/onem2m-maf-client/*.h) $(COMMON_SRCS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Iprovider -Itools/onem2m-maf -o $@ \
	    $(MAFC_SRCS) $(COMMON_SRCS) -lcurl -ljansson $(SSL_LIBS)

tests: $(TEST_BIN) $(BENCH_BINS) $(PSK_LOAD)

# Every tests/**/*.c may define "Suite *NAME_suite(void)"; the runner gets the
# list generated, so adding a suite never means editing the runner.
$(BUILD)/tests/suites.h: $(TEST_SRCS)
	@mkdir -p $(dir $@)
	@grep -hoE '^Suite \*[a-z0-9_]+_suite\(void\)' $(TEST_SRCS) \
	    | sed -E 's/^Suite \*([a-z0-9_]+)_suite\(void\)/SUITE(\1)/' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(TEST_BIN): $(TEST_SRCS) $(wildcard tests/*.h tests/*/*.h) $(BUILD)/tests/suites.h $(API_LIB) $(STORE_LIB) $(PROV_HDRS)
	$(CC) $(CFLAGS) $(WARN) -pthread $(TEST_DEFS) -Iprovider -Itests -I$(BUILD)/tests \
	    -o $@ $(TEST_SRCS) $(API_LIB) $(STORE_LIB) $$(pkg-config --cflags --libs check) \
	    $(LMDB_LIBS) -ljansson $(SSL_LIBS)

# the LMDB benchmark writes stores with provider/store
$(BUILD)/bench/lmdb_bench: bench/lmdb_bench.c $(wildcard bench/*.h) $(API_LIB) $(STORE_LIB) $(PROV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(TEST_DEFS) -Iprovider -o $@ $< $(API_LIB) \
	    $(STORE_LIB) $(LMDB_LIBS) $(SSL_LIBS)

$(BUILD)/bench/%: bench/%.c $(wildcard bench/*.h) $(API_LIB) $(PROV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(TEST_DEFS) -Iprovider -o $@ $< $(API_LIB) $(SSL_LIBS)

$(PSK_LOAD): $(PSK_LOAD_SRCS) $(wildcard bench/*.h) $(API_LIB) $(PROV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(TEST_DEFS) -Iprovider -o $@ $(PSK_LOAD_SRCS) \
	    $(API_LIB) $(SSL_LIBS)

# the cert_demo suite runs conf/run-cert-demo, which needs the stand-in
test: all $(BUILD)/tools/cse-stand-in
	cd $(BUILD)/tests && ./check_all

# The in-process suites under valgrind (no fork: Check's children would
# escape it).  The integration suites run nginx itself under valgrind with
# ONEM2M_TEST_NGINX_WRAPPER (HACKING.md, "Memory checks").  store_damage's
# faulted reads abandon their LMDB transactions by design: the .supp names
# those tests only.
VALGRIND_SUITES ?= onem2m_id onem2m_text onem2m_uri id_canon table \
                   table_cache store keymgmt hook hook_resume hook_sni cert \
                   cert_session store_lmdb lmdb_table store_damage
valgrind: all
	cd $(BUILD)/tests && for s in $(VALGRIND_SUITES); do \
	    CK_FORK=no CK_RUN_SUITE=$$s valgrind -q --error-exitcode=99 \
	        --leak-check=full --errors-for-leak-kinds=definite \
	        --suppressions=$(CURDIR)/tests/store/valgrind-store.supp \
	        ./check_all || exit 1; \
	done

bench: all
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# the fleet on one machine (docs/fleet.md): a throwaway PostgreSQL, three
# nginx, each with its store and onem2m-sync; revocation latency over
# BENCH_FLEET_REVOCATIONS (100), BENCH_FLEET_RATE inserts/s (100) for
# BENCH_FLEET_SECONDS (60) under handshake load
BENCH_FLEET := $(BUILD)/bench/bench_fleet
FLEET_TEST_SRCS := $(filter-out %/check_fleet_sync.c %/check_fleet_nginx.c,\
    $(wildcard tests/fleet/*.c)) $(wildcard tests/common/*.c)

$(BENCH_FLEET): bench/fleet/bench_fleet.c $(FLEET_TEST_SRCS) tests/fleet/fleet.h $(API_LIB) $(STORE_LIB) $(PROV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -pthread $(TEST_DEFS) -Iprovider -Itests \
	    $(PQ_CFLAGS) -o $@ bench/fleet/bench_fleet.c $(FLEET_TEST_SRCS) \
	    $(API_LIB) $(STORE_LIB) $$(pkg-config --cflags --libs check) \
	    $(PQ_LIBS) $(LMDB_LIBS) $(SSL_LIBS)

bench-fleet: all $(BENCH_FLEET)
	$(BENCH_FLEET)

# the MAF behind nginx: Key Registration and Key Retrieval per second
# (docs/maf.md); BENCH_MAF_SECONDS (10) a phase, BENCH_MAF_CLIENTS (4)
BENCH_MAF := $(BUILD)/bench/bench_maf
MAF_TEST_SRCS := tests/maf/maf_fixture.c $(FLEET_TEST_SRCS)

$(BENCH_MAF): bench/maf/bench_maf.c $(MAF_TEST_SRCS) tests/maf/maf_fixture.h tests/fleet/fleet.h $(API_LIB) $(STORE_LIB) $(PROV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -pthread $(TEST_DEFS) -Iprovider -Itests \
	    -o $@ bench/maf/bench_maf.c $(MAF_TEST_SRCS) $(API_LIB) $(STORE_LIB) \
	    $$(pkg-config --cflags --libs check) $(LMDB_LIBS) -ljansson $(SSL_LIBS)

bench-maf: all $(BENCH_MAF)
	$(BENCH_MAF)

# TLS handshake and request benchmark (docs/benchmarks.md): nginx + module,
# the ceiling module, stunnel4, openssl s_server and an ECDSA certificate
# nginx, all on loopback; writes bench/RESULTS.md.  Another nginx build:
#   make bench-tls NGINX=/path/sbin/nginx NGINX_MODULE=/path/module.so \
#                  CEILING_NGX_SRC=/path/to/its/nginx/sources
# (or CEILING_MODULE=/path/prebuilt.so).  Durations and sizes: BENCH_TIME,
# BENCH_ROUNDS, BENCH_PROCS, BENCH_ENTRIES, ... (bench/bench-tls --help).
# The ceiling is configured like build/nginx: a copy of the same sources
# with the same flags (Debian's conf_flags, or --with-compat for others).
NGINX          ?= $(NGX_BIN)
CEILING_NGX_SRC ?= $(NGX_SRC)
CEILING_DIR    := $(BUILD)/bench/nginx
CEILING_SO     := $(CEILING_DIR)/objs/ngx_http_bench_psk_ceiling_module.so

$(CEILING_DIR)/objs/Makefile: bench/ceiling/config
	@rm -rf $(CEILING_DIR) && mkdir -p $(CEILING_DIR)
	cp -a $(CEILING_NGX_SRC)/. $(CEILING_DIR)/
	cd $(CEILING_DIR) && \
	    if [ -f conf_flags ]; then . ./conf_flags; \
	    else NGX_CONF_FLAGS=(--with-compat --with-http_ssl_module); fi; \
	    cfg=./configure; [ -x $$cfg ] || cfg=./auto/configure; \
	    $$cfg "$${NGX_CONF_FLAGS[@]}" $(CEILING_CONF_ARGS) \
	        --add-dynamic-module=$(CURDIR)/bench/ceiling >configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }

$(CEILING_SO): $(CEILING_DIR)/objs/Makefile $(wildcard bench/ceiling/*.c)
	$(MAKE) -C $(CEILING_DIR) -f objs/Makefile modules >/dev/null
	@touch $@

# what the run needs; a module or ceiling given on the command line (also as
# NGX_BIN=/NGX_MODULE=) is used as it is
BENCH_TLS_DEPS := provider $(PSK_LOAD) $(BUILD)/tools/cse-stand-in \
    $(if $(filter undefined,$(origin NGINX_MODULE)),$(if $(filter file,$(origin NGX_MODULE)),module)) \
    $(if $(filter undefined,$(origin CEILING_MODULE)),$(CEILING_SO))

# Without NGINX=, the run is repeated on each BENCH_COMPAT nginx of
# tools/compat.mk (its OpenSSL, its own ceiling build), appended to
# bench/RESULTS.md as a section of its own (prerequisites: after the
# include of tools/compat.mk).
BENCH_COMPAT ?= $(if $(filter file,$(origin NGINX)),1.31.4)

bench-tls: $(BENCH_TLS_DEPS)
	@$(MAKE) --no-print-directory deps APT_PKGS="$(APT_PKGS) stunnel4"
	BUILD='$(abspath $(BUILD))' NGINX='$(NGINX)' \
	NGINX_MODULE='$(abspath $(or $(NGINX_MODULE),$(NGX_MODULE)))' \
	CEILING_MODULE='$(abspath $(or $(CEILING_MODULE),$(CEILING_SO)))' \
	    bench/bench-tls
	@for v in $(BENCH_COMPAT); do \
	    $(MAKE) --no-print-directory bench-tls-compat-$$v || exit 1; \
	done

# one compat nginx: its ceiling in $(BUILD)/bench/nginx-V, the section
# appended (BENCH_APPEND) to the results of the run before
bench-tls-compat-%:
	$(MAKE) --no-print-directory CEILING_DIR=$(BUILD)/bench/nginx-$* \
	    CEILING_NGX_SRC=$(COMPAT)/nginx-$* \
	    CEILING_CONF_ARGS='$(if $(COMPAT_SSL_$*),--with-cc-opt=-I$(COMPAT_SSL_$*)/include --with-ld-opt=-L$(COMPAT_SSL_$*)/lib)' \
	    $(BUILD)/bench/nginx-$*/objs/ngx_http_bench_psk_ceiling_module.so
	BUILD='$(abspath $(BUILD))' NGINX='$(COMPAT)/nginx-$*/objs/nginx' \
	NGINX_MODULE='$(COMPAT)/nginx-$*/objs/ngx_http_onem2m_sae_module.so' \
	CEILING_MODULE='$(abspath $(BUILD))/bench/nginx-$*/objs/ngx_http_bench_psk_ceiling_module.so' \
	PROVIDER_DIR='$(if $(COMPAT_SSL_$*),$(dir $(COMPAT_PROVIDER)),$(abspath $(BUILD))/provider)' \
	BENCH_APPEND=1 bench/bench-tls

# libFuzzer targets: the table parser and kpsa: URIs (fuzz_table), the
# oneM2M identifier grammar (fuzz_id), identifiers as the gateway compares
# them (fuzz_id_canon), the MAF's request decoding (fuzz_maf), the
# front end's MAF Key Identifier parsing (fuzz_keyid),
# what a worker reads from a store's data.mdb
# (fuzz_store; a read that faults leaks its LMDB transaction by design,
# so without leak detection; liblmdb hangs on some crafted files, so its
# timeouts are listed, not fatal); they need clang, which nothing else
# does.  FUZZ_TIME seconds each on one core; the corpora grow in
# $(BUILD)/fuzz/<target>/corpus, crashes land in $(BUILD)/fuzz/<target>/.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 600
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all $(WARN) -Iprovider
FUZZ_BIN   := $(BUILD)/fuzz/fuzz_table
FUZZ_ID_BIN := $(BUILD)/fuzz/fuzz_id
FUZZ_CANON_BIN := $(BUILD)/fuzz/fuzz_id_canon
# the MAF's request decoding (tools/onem2m-maf/maf_proto.c, jansson)
FUZZ_MAF_BIN := $(BUILD)/fuzz/fuzz_maf
FUZZ_STORE_BIN := $(BUILD)/fuzz/fuzz_store
FUZZ_KEYID_BIN := $(BUILD)/fuzz/fuzz_keyid

$(FUZZ_BIN): tools/fuzz/fuzz_table.c tools/fuzz/fuzz_check.h $(PROV_SRCS) $(PROV_HDRS) $(wildcard provider/internal/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tools/fuzz/fuzz_table.c $(PROV_SRCS) $(LMDB_LIBS) -lcrypto

$(FUZZ_ID_BIN): tools/fuzz/fuzz_id.c tools/fuzz/fuzz_check.h $(COMMON_SRCS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tools/fuzz/fuzz_id.c $(COMMON_SRCS)

$(FUZZ_CANON_BIN): tools/fuzz/fuzz_id_canon.c tools/fuzz/fuzz_check.h $(COMMON_SRCS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tools/fuzz/fuzz_id_canon.c $(COMMON_SRCS)

$(FUZZ_MAF_BIN): tools/fuzz/fuzz_maf.c tools/fuzz/fuzz_check.h tools/onem2m-maf/maf_proto.c tools/onem2m-maf/maf.h $(COMMON_SRCS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Itools/onem2m-maf -o $@ tools/fuzz/fuzz_maf.c \
	    tools/onem2m-maf/maf_proto.c $(COMMON_SRCS) -ljansson -lcrypto

$(FUZZ_STORE_BIN): tools/fuzz/fuzz_store.c tools/fuzz/fuzz_check.h $(STORE_SRCS) $(STORE_HDRS) $(COMMON_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tools/fuzz/fuzz_store.c $(STORE_SRCS) $(COMMON_SRCS) $(LMDB_LIBS) -lcrypto -lpthread

$(FUZZ_KEYID_BIN): tools/fuzz/fuzz_keyid.c tools/fuzz/fuzz_check.h $(COMMON_SRCS) $(COMMON_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tools/fuzz/fuzz_keyid.c $(COMMON_SRCS)

fuzz: $(FUZZ_BIN) $(FUZZ_ID_BIN) $(FUZZ_CANON_BIN) $(FUZZ_STORE_BIN) \
      $(FUZZ_MAF_BIN) $(FUZZ_KEYID_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/id/corpus \
	    $(BUILD)/fuzz/id-canon/corpus
	cp conf/kpsa.table tools/fuzz/seeds/* $(BUILD)/fuzz/corpus/
	cp tools/fuzz/seeds-id/* $(BUILD)/fuzz/id/corpus/
	cd $(BUILD)/fuzz && ./fuzz_table -jobs=1 -workers=1 -max_len=4096 \
	    -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ corpus \
	    || { tail -40 fuzz-0.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/fuzz-0.log
	cd $(BUILD)/fuzz/id && ../fuzz_id -jobs=1 -workers=1 -max_len=600 \
	    -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ corpus \
	    || { tail -40 fuzz-0.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/id/fuzz-0.log
	cp tools/fuzz/seeds-id-canon/* $(BUILD)/fuzz/id-canon/corpus/
	cd $(BUILD)/fuzz/id-canon && ../fuzz_id_canon -jobs=1 -workers=1 \
	    -max_len=600 -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ \
	    corpus || { tail -40 fuzz-0.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/id-canon/fuzz-0.log
	@mkdir -p $(BUILD)/fuzz/maf/corpus
	cp tools/fuzz/seeds-maf/* $(BUILD)/fuzz/maf/corpus/
	cd $(BUILD)/fuzz/maf && ../fuzz_maf -jobs=1 -workers=1 -max_len=2048 \
	    -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ corpus \
	    || { tail -40 fuzz-0.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/maf/fuzz-0.log
	@mkdir -p $(BUILD)/fuzz/keyid/corpus
	cp tools/fuzz/seeds-keyid/* $(BUILD)/fuzz/keyid/corpus/
	cd $(BUILD)/fuzz/keyid && ../fuzz_keyid -jobs=1 -workers=1 -max_len=600 \
	    -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ corpus \
	    || { tail -40 fuzz-0.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/keyid/fuzz-0.log
	@mkdir -p $(BUILD)/fuzz/store/corpus
	cp tools/fuzz/seeds-store/* $(BUILD)/fuzz/store/corpus/
	cd $(BUILD)/fuzz/store && ASAN_OPTIONS=detect_leaks=0 ../fuzz_store \
	    -fork=1 -ignore_timeouts=1 -timeout_exitcode=0 -max_len=65536 \
	    -timeout=10 \
	    -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ corpus \
	    > fuzz.log 2>&1 || { tail -40 fuzz.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/store/fuzz.log; ls $(BUILD)/fuzz/store | grep timeout- || true

# the demo's upstream stand-in (answers with what a CSE would receive)
$(BUILD)/tools/%: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

# make run PORT=9443 CSE_PORT=9081 (defaults 8443 and 8081), CSE=URL; it
# builds what the demo runs (and onem2m-kpsa, which its banner shows), not
# the test suites and benchmarks
run: deps provider module kpsa $(BUILD)/tools/cse-stand-in
	@BUILD='$(abspath $(BUILD))' NGX_BIN='$(NGX_BIN)' \
	    $(if $(PORT),PORT='$(PORT)') $(if $(CSE_PORT),CSE_PORT='$(CSE_PORT)') \
	    conf/run-demo $(if $(CSE),--cse $(CSE))

run-cert: all $(BUILD)/tools/cse-stand-in
	@BUILD='$(abspath $(BUILD))' NGX_BIN='$(NGX_BIN)' conf/run-cert-demo

# the MAF, the phone's registration and the IN-CSE (docs/maf.md)
run-maf: all $(BUILD)/tools/cse-stand-in
	@BUILD='$(abspath $(BUILD))' NGX_BIN='$(NGX_BIN)' conf/run-maf-demo

# Installation directories, GNU names.  prefix=/usr gives exactly Debian's
# paths (OpenSSL's multiarch modules directory, nginx's modules directory);
# the default /usr/local stays clear of what dpkg owns: nginx then needs
# "onem2m_sae_provider_path $(ossl_modulesdir);" (make install says so).
# The Debian packages (debian/, docs/install-debian.md) are the way to
# install on Debian.
MULTIARCH        := $(shell $(CC) -print-multiarch 2>/dev/null)
prefix           ?= /usr/local
exec_prefix      ?= $(prefix)
bindir           ?= $(exec_prefix)/bin
sbindir          ?= $(exec_prefix)/sbin
libdir           ?= $(exec_prefix)/lib$(if $(MULTIARCH),/$(MULTIARCH))
datarootdir      ?= $(prefix)/share
mandir           ?= $(datarootdir)/man
ossl_modulesdir  ?= $(libdir)/ossl-modules
nginx_modulesdir ?= $(exec_prefix)/lib/nginx/modules
nginx_modconfdir ?= $(datarootdir)/nginx/modules-available
INSTALL          ?= install
INSTALL_STRIP    ?=

NGX_MODULE_CONF  := mod-http-onem2m-sae.conf
# What the provider package holds besides onem2m.so (debian/rules builds
# provider-files, then runs install-provider): programs for bindir and
# sbindir, section 1 manual pages.  A tool joins with its file here.
PROVIDER_BINS    :=
PROVIDER_SBINS   := $(KPSA_BIN)
PROVIDER_MAN1    := tools/onem2m-kpsa/onem2m-kpsa.1

# $(call install_files,MODE,DIR,FILES): nothing when FILES is empty
install_files = $(if $(3),$(INSTALL) -d $(DESTDIR)$(2) && $(INSTALL) \
    $(if $(filter 0755,$(1)),$(INSTALL_STRIP)) -m $(1) $(3) $(DESTDIR)$(2)/)
# $(call installed,DIR,FILES): their names as installed
installed = $(addprefix $(DESTDIR)$(1)/,$(notdir $(2)))

provider-files: $(PROVIDER) $(PROVIDER_BINS) $(PROVIDER_SBINS)

install: install-provider install-module install-sync
	@if [ "$(ossl_modulesdir)" != "$(OSSL_MODULES_DIR)" ]; then \
	    echo "note: OpenSSL looks for providers in $(OSSL_MODULES_DIR);"; \
	    echo "      nginx needs \"onem2m_sae_provider_path $(ossl_modulesdir);\""; \
	fi

install-strip:
	$(MAKE) INSTALL_STRIP=-s install

install-provider: provider-files
	$(INSTALL) -d $(DESTDIR)$(ossl_modulesdir)
	$(INSTALL) $(INSTALL_STRIP) -m 0644 $(PROVIDER) \
	    $(DESTDIR)$(ossl_modulesdir)/onem2m.so
	$(call install_files,0755,$(bindir),$(PROVIDER_BINS))
	$(call install_files,0755,$(sbindir),$(PROVIDER_SBINS))
	$(call install_files,0644,$(mandir)/man1,$(PROVIDER_MAN1))

# the load snippet names the module by absolute path: modules-enabled/
# links to it (Debian's nginx.conf includes /etc/nginx/modules-enabled/*)
install-module: $(NGX_MODULE)
	$(INSTALL) -d $(DESTDIR)$(nginx_modulesdir) $(DESTDIR)$(nginx_modconfdir)
	$(INSTALL) $(INSTALL_STRIP) -m 0644 $(NGX_MODULE) \
	    $(DESTDIR)$(nginx_modulesdir)/
	echo "load_module $(nginx_modulesdir)/$(notdir $(NGX_MODULE));" \
	    > $(DESTDIR)$(nginx_modconfdir)/$(NGX_MODULE_CONF)
	chmod 0644 $(DESTDIR)$(nginx_modconfdir)/$(NGX_MODULE_CONF)

# onem2m-sync: the daemon, its manual page, the systemd template unit and
# the PostgreSQL schema of the source (debian/rules: package onem2m-sync).
# The unit runs the daemon where it is installed (its ExecStart names
# Debian's /usr/sbin).
systemdunitdir   ?= $(prefix)/lib/systemd/system
SYNC_DATADIR     := $(datarootdir)/onem2m-sync
SYNC_UNIT        := $(DESTDIR)$(systemdunitdir)/onem2m-sync@.service

install-sync: $(SYNC_BIN)
	$(call install_files,0755,$(sbindir),$(SYNC_BIN))
	$(call install_files,0644,$(mandir)/man8,tools/onem2m-sync/onem2m-sync.8)
	$(INSTALL) -d $(DESTDIR)$(systemdunitdir)
	sed 's|^ExecStart=/usr/sbin/onem2m-sync |ExecStart=$(sbindir)/onem2m-sync |' \
	    conf/systemd/onem2m-sync@.service > $(SYNC_UNIT)
	chmod 0644 $(SYNC_UNIT)
	$(call install_files,0644,$(SYNC_DATADIR),conf/postgresql/schema.sql)

uninstall-sync:
	rm -f $(DESTDIR)$(sbindir)/onem2m-sync \
	    $(DESTDIR)$(mandir)/man8/onem2m-sync.8 \
	    $(DESTDIR)$(systemdunitdir)/onem2m-sync@.service \
	    $(DESTDIR)$(SYNC_DATADIR)/schema.sql
	-rmdir $(DESTDIR)$(SYNC_DATADIR) 2>/dev/null

# The directories install-* make: under a DESTDIR every one, and each parent
# up to DESTDIR, as far as they are empty (the stage is the install's
# alone); without DESTDIR only those that are ours alone, when empty, never
# a shared one such as $(sbindir).  Deepest first.
OWN_DIRS  = $(ossl_modulesdir) $(nginx_modulesdir) $(exec_prefix)/lib/nginx \
            $(nginx_modconfdir) $(datarootdir)/nginx $(SYNC_DATADIR)
INST_DIRS = $(OWN_DIRS) $(bindir) $(sbindir) $(mandir)/man1 $(mandir)/man8 \
            $(systemdunitdir)

uninstall: uninstall-provider uninstall-module uninstall-sync
	@if [ -n "$(DESTDIR)" ]; then \
	    for d in $(INST_DIRS); do \
	        d="$(DESTDIR)$$d"; \
	        while [ -n "$${d#$(DESTDIR)}" ] && [ "$${d#$(DESTDIR)}" != / ] \
	              && rmdir "$$d" 2>/dev/null; do \
	            d="$${d%/*}"; \
	        done; \
	    done; \
	else \
	    for d in $(OWN_DIRS); do rmdir "$$d" 2>/dev/null || true; done; \
	fi

uninstall-provider:
	rm -f $(DESTDIR)$(ossl_modulesdir)/onem2m.so $(strip \
	    $(call installed,$(bindir),$(PROVIDER_BINS)) \
	    $(call installed,$(sbindir),$(PROVIDER_SBINS)) \
	    $(call installed,$(mandir)/man1,$(PROVIDER_MAN1)))

uninstall-module:
	rm -f $(DESTDIR)$(nginx_modulesdir)/$(notdir $(NGX_MODULE)) \
	    $(DESTDIR)$(nginx_modconfdir)/$(NGX_MODULE_CONF)

deb-test:
	.ci/deb-test

clean:
	rm -rf $(BUILD)

include tools/compat.mk

bench-tls: $(foreach v,$(BENCH_COMPAT),$(COMPAT)/nginx-$(v)/objs/nginx) \
           $(if $(BENCH_COMPAT),$(COMPAT_PROVIDER))
