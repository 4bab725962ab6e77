# oneM2M SAE for nginx: one entry point for build, test, run and install.
#
#   make            build the provider, the client library, the nginx module
#   make test       build everything and run every Check suite
#   make run        start the door-lock gateway demo in the foreground
#   make run-cert   start the MN-CSE <-> IN-CSE certificate SAE demo
#   make bench      run the table benchmark (not part of make test)
#   make bench-tls  handshake/request benchmark, writes bench/RESULTS.md
#   make fuzz       fuzz the table parser and kpsa: URIs (clang, libFuzzer)
#   make install    install the provider into OpenSSL's modules directory

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
              gnutls-bin valgrind

PROV_SRCS  := $(sort $(wildcard provider/src/*.c))
PROV_HDRS  := $(wildcard provider/src/*.h) provider/onem2m_sae.h
API_SRCS   := $(sort $(wildcard provider/api/*.c))
API_OBJS   := $(API_SRCS:%.c=$(BUILD)/%.o)
PROVIDER   := $(BUILD)/provider/onem2m.so
API_LIB    := $(BUILD)/libonem2m_sae.a
NGX_MODULE := $(BUILD)/nginx/objs/ngx_http_onem2m_sae_module.so
NGX_MOD_SRCS := $(wildcard nginx-module/*.c nginx-module/*.h) nginx-module/config

TEST_SRCS  := $(sort $(wildcard tests/*.c tests/*/*.c))
TEST_BIN   := $(BUILD)/tests/check_all
# psk_load is the load client of bench-tls, not a benchmark of its own
BENCH_SRCS := $(filter-out bench/psk_load.c,$(sort $(wildcard bench/*.c)))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
PSK_LOAD   := $(BUILD)/bench/psk_load

SSL_LIBS   := -lssl -lcrypto
TEST_DEFS  := -DTOP_SRCDIR='"$(CURDIR)"' -DBUILD_DIR='"$(abspath $(BUILD))"' \
              -DNGINX_BIN='"$(NGX_BIN)"'

.PHONY: all deps provider module tests test run run-cert bench bench-tls \
        install clean valgrind fuzz

all: deps provider module tests

# Missing build dependencies are named with the exact apt-get line; as root
# they are installed (CI and fresh Debian 12 machines run as root).
deps:
	@missing=""; \
	for p in $(APT_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "missing Debian packages:$$missing"; \
	    echo "    apt-get install -y$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq $$missing >/dev/null || exit 1; \
	    else exit 1; fi; \
	fi

provider: $(PROVIDER) $(API_LIB)

$(PROVIDER): $(PROV_SRCS) $(PROV_HDRS) provider/api/sae_dispatch.h provider/src/provider.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared -fvisibility=hidden -Iprovider \
	    -Wl,--version-script=provider/src/provider.map -Wl,-z,defs \
	    -o $@ $(PROV_SRCS) -lcrypto

$(BUILD)/provider/api/%.o: provider/api/%.c $(PROV_HDRS) $(wildcard provider/api/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -Iprovider -c -o $@ $<

$(API_LIB): $(API_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The module is built against Debian's own nginx-dev tree with Debian's
# configure flags, so the .so loads into the distribution's /usr/sbin/nginx.
module: $(NGX_MODULE)

# configure lists provider/api/*.c, so a new api file means configuring anew.
$(BUILD)/nginx/objs/Makefile: nginx-module/config $(API_SRCS)
	@rm -rf $(BUILD)/nginx && mkdir -p $(BUILD)/nginx
	cp -a $(NGX_SRC)/. $(BUILD)/nginx/
	cd $(BUILD)/nginx && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="-I$(CURDIR)/provider" \
	        --add-dynamic-module=$(CURDIR)/nginx-module >configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }

$(NGX_MODULE): $(BUILD)/nginx/objs/Makefile $(NGX_MOD_SRCS) $(API_SRCS) $(PROV_HDRS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules >/dev/null
	@touch $@

tests: $(TEST_BIN) $(BENCH_BINS) $(PSK_LOAD)

# Every tests/**/*.c may define "Suite *NAME_suite(void)"; the runner gets the
# list generated, so adding a suite never means editing the runner.
$(BUILD)/tests/suites.h: $(TEST_SRCS)
	@mkdir -p $(dir $@)
	@grep -hoE '^Suite \*[a-z0-9_]+_suite\(void\)' $(TEST_SRCS) \
	    | sed -E 's/^Suite \*([a-z0-9_]+)_suite\(void\)/SUITE(\1)/' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(TEST_BIN): $(TEST_SRCS) $(wildcard tests/*.h tests/*/*.h) $(BUILD)/tests/suites.h $(API_LIB) $(PROV_HDRS)
	$(CC) $(CFLAGS) $(WARN) -pthread $(TEST_DEFS) -Iprovider -Itests -I$(BUILD)/tests \
	    -o $@ $(TEST_SRCS) $(API_LIB) $$(pkg-config --cflags --libs check) $(SSL_LIBS)

$(BUILD)/bench/%: bench/%.c $(API_LIB) $(PROV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(TEST_DEFS) -Iprovider -o $@ $< $(API_LIB) $(SSL_LIBS)

# the cert_demo suite runs conf/run-cert-demo, which needs the stand-in
test: all $(BUILD)/tools/cse-stand-in
	cd $(BUILD)/tests && ./check_all

# The in-process suites under valgrind (no fork: Check's children would
# escape it).  The integration suites run nginx itself under valgrind with
# ONEM2M_TEST_NGINX_WRAPPER (README, "Memory checks").
VALGRIND_SUITES ?= table store keymgmt hook cert
valgrind: all
	cd $(BUILD)/tests && for s in $(VALGRIND_SUITES); do \
	    CK_FORK=no CK_RUN_SUITE=$$s valgrind -q --error-exitcode=99 \
	        --leak-check=full --errors-for-leak-kinds=definite \
	        ./check_all || exit 1; \
	done

bench: all
	@for b in $(BENCH_BINS); do $$b || exit 1; done

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

bench-tls: $(BENCH_TLS_DEPS)
	@$(MAKE) --no-print-directory deps APT_PKGS="$(APT_PKGS) stunnel4"
	BUILD='$(abspath $(BUILD))' NGINX='$(NGINX)' \
	NGINX_MODULE='$(abspath $(or $(NGINX_MODULE),$(NGX_MODULE)))' \
	CEILING_MODULE='$(abspath $(or $(CEILING_MODULE),$(CEILING_SO)))' \
	    bench/bench-tls

# libFuzzer target of the table parser and kpsa: URIs; needs clang, which
# nothing else does.  FUZZ_TIME seconds on one core; the corpus grows in
# $(BUILD)/fuzz/corpus, crashes land in $(BUILD)/fuzz/.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 600
FUZZ_BIN   := $(BUILD)/fuzz/fuzz_table

$(FUZZ_BIN): tools/fuzz/fuzz_table.c $(PROV_SRCS) $(PROV_HDRS) provider/api/sae_dispatch.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all $(WARN) -Iprovider \
	    -o $@ tools/fuzz/fuzz_table.c $(PROV_SRCS) -lcrypto

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	cp conf/kpsa.table tools/fuzz/seeds/* $(BUILD)/fuzz/corpus/
	cd $(BUILD)/fuzz && ./fuzz_table -jobs=1 -workers=1 -max_len=4096 \
	    -max_total_time=$(FUZZ_TIME) -artifact_prefix=./ corpus \
	    || { tail -40 fuzz-0.log; exit 1; }
	@tail -3 $(BUILD)/fuzz/fuzz-0.log

# the demo's upstream stand-in (answers with what a CSE would receive)
$(BUILD)/tools/%: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

run: all $(BUILD)/tools/cse-stand-in
	@BUILD='$(abspath $(BUILD))' NGX_BIN='$(NGX_BIN)' \
	    conf/run-demo $(if $(CSE),--cse $(CSE))

run-cert: all $(BUILD)/tools/cse-stand-in
	@BUILD='$(abspath $(BUILD))' NGX_BIN='$(NGX_BIN)' conf/run-cert-demo

NGX_MODULES_DIR ?= /usr/lib/nginx/modules

install: provider module
	install -d $(DESTDIR)$(OSSL_MODULES_DIR) $(DESTDIR)$(NGX_MODULES_DIR)
	install -m 0644 $(PROVIDER) $(DESTDIR)$(OSSL_MODULES_DIR)/onem2m.so
	install -m 0644 $(NGX_MODULE) $(DESTDIR)$(NGX_MODULES_DIR)/

clean:
	rm -rf $(BUILD)
