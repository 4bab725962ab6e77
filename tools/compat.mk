# SPDX-License-Identifier: BSD-2-Clause
# make compat: the module, the provider and every Check suite on the other
# supported nginx and OpenSSL versions (docs/supported-versions.md).
#
# Sources come from SHARED_SRC (../shared/src beside the repository: no
# network here), checked against its SHA256SUMS.  OpenSSL is built once
# and kept under $(COMPAT); each nginx is configured afresh when the
# module's sources change.  Then the same check_all that "make test" runs
# is run once per nginx, told by the environment which nginx, module,
# provider and libraries to use (tests/common/harness.h).
#
#   nginx 1.26.3 + OpenSSL 3.5.7       Debian 13's versions
#   nginx 1.30.4 + Debian 12's OpenSSL the stable branch, OpenSSL 3.0
#   nginx 1.31.4 + OpenSSL 3.5.7       the mainline branch
#
# Debian 12's own nginx 1.22.1 + OpenSSL 3.0 is what "make test" runs.

SHARED_SRC    ?= $(CURDIR)/../shared/src
COMPAT        := $(abspath $(BUILD))/compat
COMPAT_OSSL_V := 3.5.7
COMPAT_OSSL   := $(COMPAT)/openssl-$(COMPAT_OSSL_V)
COMPAT_NGINX  ?= 1.26.3 1.30.4 1.31.4

# the OpenSSL each nginx is built with: a prefix, or empty for Debian's
COMPAT_SSL_1.26.3 := $(COMPAT_OSSL)
COMPAT_SSL_1.30.4 :=
COMPAT_SSL_1.31.4 := $(COMPAT_OSSL)

COMPAT_PROVIDER := $(COMPAT)/provider-$(COMPAT_OSSL_V)/onem2m.so

# (no .PHONY for compat-test-%: make skips pattern rules for phony targets)
.PHONY: compat compat-build compat-storeutl

# every nginx runs even when one fails; the failures are named at the end
compat: compat-build compat-storeutl
	@failed=""; \
	for v in $(COMPAT_NGINX); do \
	    start=$$(date +%s); \
	    $(MAKE) --no-print-directory compat-test-$$v || failed="$$failed $$v"; \
	    echo "== nginx $$v: $$(( $$(date +%s) - start )) s"; \
	done; \
	if [ -n "$$failed" ]; then \
	    echo "make compat: failures on nginx$$failed"; exit 1; \
	fi; \
	echo "make compat: every suite passed on nginx $(COMPAT_NGINX)"

compat-build: provider tests $(BUILD)/tools/cse-stand-in $(COMPAT_PROVIDER) \
              $(COMPAT_NGINX:%=$(COMPAT)/nginx-%/objs/nginx)

$(COMPAT)/sha256.ok: $(wildcard $(SHARED_SRC)/*.tar.gz)
	@test -f $(SHARED_SRC)/SHA256SUMS || { \
	    echo "no $(SHARED_SRC)/SHA256SUMS: set SHARED_SRC=<dir of the" \
	         "nginx and OpenSSL tarballs>"; exit 1; }
	cd $(SHARED_SRC) && sha256sum --quiet -c SHA256SUMS
	@mkdir -p $(dir $@) && touch $@

$(COMPAT_OSSL)/.built: $(COMPAT)/sha256.ok
	rm -rf $(COMPAT)/src/openssl-$(COMPAT_OSSL_V) $(COMPAT_OSSL)
	mkdir -p $(COMPAT)/src
	tar -C $(COMPAT)/src -xzf $(SHARED_SRC)/openssl-$(COMPAT_OSSL_V).tar.gz
	cd $(COMPAT)/src/openssl-$(COMPAT_OSSL_V) \
	    && ./Configure shared no-docs no-tests --prefix=$(COMPAT_OSSL) \
	        --libdir=lib >$(COMPAT)/openssl-build.log 2>&1 \
	    && $(MAKE) -j2 build_sw >>$(COMPAT)/openssl-build.log 2>&1 \
	    && $(MAKE) install_sw >>$(COMPAT)/openssl-build.log 2>&1 \
	    || { tail -30 $(COMPAT)/openssl-build.log; exit 1; }
	touch $@

# the provider against OpenSSL 3.5's headers, warnings are errors
$(COMPAT_PROVIDER): $(COMPAT_OSSL)/.built $(PROV_SRCS) $(PROV_HDRS) \
                    provider/internal/sae_dispatch.h provider/src/provider.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Werror -fPIC -shared -fvisibility=hidden \
	    -Iprovider -I$(COMPAT_OSSL)/include \
	    -Wl,--version-script=provider/src/provider.map -Wl,-z,defs \
	    -o $@ $(PROV_SRCS) -L$(COMPAT_OSSL)/lib $(LMDB_LIBS) -lcrypto

# nginx with the module, -Werror as nginx builds itself; objs/nginx and the
# module .so come from one tree with one set of flags; --with-debug as
# Debian builds it, so the module's debug lines (sae_debug) exist here too
$(COMPAT)/nginx-%/objs/nginx: $(COMPAT)/sha256.ok $(COMPAT_OSSL)/.built \
                              $(NGX_MOD_SRCS) $(API_SRCS) $(PROV_HDRS) \
                              $(wildcard provider/api/*.h provider/internal/*.h)
	rm -rf $(COMPAT)/nginx-$*
	tar -C $(COMPAT) -xzf $(SHARED_SRC)/nginx-$*.tar.gz
	cd $(COMPAT)/nginx-$* \
	    && if [ -x configure ]; then cf=./configure; \
	       else cf=./auto/configure; fi \
	    && $$cf --prefix=$(COMPAT)/nginx-$*/prefix --with-compat \
	        --with-http_ssl_module --with-http_v2_module --with-debug \
	        --with-cc-opt="-I$(CURDIR)/provider $(if $(COMPAT_SSL_$*),-I$(COMPAT_SSL_$*)/include)" \
	        $(if $(COMPAT_SSL_$*),--with-ld-opt="-L$(COMPAT_SSL_$*)/lib -Wl$(comma)-rpath$(comma)$(COMPAT_SSL_$*)/lib") \
	        --add-dynamic-module=$(CURDIR)/nginx-module \
	        >build.log 2>&1 \
	    && $(MAKE) -j2 -f objs/Makefile binary modules >>build.log 2>&1 \
	    || { tail -40 build.log; exit 1; }
	@# make's own "-j2 forced in submake" (a make -j2 above) is no warning
	@# of the build
	@! grep -n 'warning:' $(COMPAT)/nginx-$*/build.log \
	    | grep -v 'forced in submake'
	@$@ -V 2>&1 | head -2

comma := ,

# OpenSSL 3.5.7's own storeutl lists a kpsa: table through the provider
# built against it, and never prints a key
compat-storeutl: $(COMPAT_PROVIDER)
	@out=$$(LD_LIBRARY_PATH=$(COMPAT_OSSL)/lib $(COMPAT_OSSL)/bin/openssl \
	    storeutl -provider-path $(dir $(COMPAT_PROVIDER)) \
	    -provider onem2m -provider default \
	    kpsa:$(CURDIR)/conf/kpsa.table 2>&1); rc=$$?; \
	echo "$$out" | sed 's/^/    /'; \
	[ $$rc = 0 ] \
	&& echo "$$out" | grep -q 'AE123456789012-Lock@in.provider.com' \
	&& echo "$$out" | grep -q 'AE123456789015-Lock@in.provider.com' \
	&& echo "$$out" | grep -q 'Total found: 2' \
	&& ! echo "$$out" | grep -qi '1a2b3c4d5e6f7a8b\|12345678abcdefab' \
	|| { echo "compat-storeutl: OpenSSL $(COMPAT_OSSL_V) storeutl" \
	          "did not list conf/kpsa.table as expected"; exit 1; }
	@echo "compat-storeutl: OpenSSL $(COMPAT_OSSL_V) storeutl lists" \
	      "the kpsa: table"

# the whole suite, against one nginx
compat-test-%: compat-build
	@echo "== nginx $* with OpenSSL $(if $(COMPAT_SSL_$*),$(COMPAT_OSSL_V),of Debian 12)"
	cd $(BUILD)/tests \
	    && ONEM2M_TEST_NGINX=$(COMPAT)/nginx-$*/objs/nginx \
	       ONEM2M_TEST_MODULE=$(COMPAT)/nginx-$*/objs/ngx_http_onem2m_sae_module.so \
	       ONEM2M_TEST_PROVIDER_DIR=$(if $(COMPAT_SSL_$*),$(dir $(COMPAT_PROVIDER)),$(abspath $(BUILD))/provider) \
	       ONEM2M_TEST_LIBRARY_PATH=$(if $(COMPAT_SSL_$*),$(COMPAT_SSL_$*)/lib) \
	       ./check_all
