/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "make install" and "make uninstall" as an operator runs them: into a
 * DESTDIR (exactly three files, the build's own bytes, a load snippet
 * naming the module under prefix; uninstall leaves no file), and with a
 * prefix of their own where the installed module and provider serve the
 * seed's lock 1 through a real nginx.  And the Makefile's package policy:
 * "make install" and "make deps" never run apt-get, DEPS_INSTALL=yes (what
 * "make test" and "make run" set) does, as root only.
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <check.h>

#include "common/harness.h"
#include "integration/sae_fixture.h"


#define SNIPPET        "share/nginx/modules-available/mod-http-onem2m-sae.conf"
#define MODULE_SO      "ngx_http_onem2m_sae_module.so"
#define NO_SUCH_PKG    "onem2m-sae-no-such-package"

/*
 * What a tool adds to the provider's files (PROVIDER_BINS, _SBINS, _MAN1
 * in the Makefile), with stand-ins: programs of the build for bindir and
 * sbindir, a manual page the test writes (arg_man1).
 */
#define TOOL_FILES     "PROVIDER_BINS=" BUILD_DIR "/bench/table_bench", \
                       "PROVIDER_SBINS=" BUILD_DIR "/tools/cse-stand-in", \
                       arg_man1


static char  dir[256];           /* the test's temporary directory */
static char  multiarch[64];      /* "x86_64-linux-gnu", or "" */
static char  marker[300];        /* what the fake apt-get was called with */
static char  arg_apt_get[320];   /* APT_GET=<the fake apt-get> */
static char  man1[300];          /* <dir>/onem2m-sae.1 */
static char  arg_man1[320];      /* PROVIDER_MAN1=<man1> */


/* an apt-get that only notes its arguments in marker */
static void
fake_apt_get(void)
{
    char   apt_get[300];
    FILE  *f;

    snprintf(marker, sizeof(marker), "%s/apt-get.called", dir);
    snprintf(apt_get, sizeof(apt_get), "%s/apt-get", dir);
    f = fopen(apt_get, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\necho \"$@\" >> %s\n", marker);
    fclose(f);
    ck_assert_int_eq(chmod(apt_get, 0755), 0);
    snprintf(arg_apt_get, sizeof(arg_apt_get), "APT_GET=%s", apt_get);
}


/* make -s -C <top> BUILD=<build> args..., outside the outer make's jobs */
static int
run_make(const char *const *args, char **out)
{
    char  *argv[32];
    char   build[300];
    int    n = 0, rc;

    snprintf(build, sizeof(build), "BUILD=%s", BUILD_DIR);
    argv[n++] = "env";
    argv[n++] = "-u";
    argv[n++] = "MAKEFLAGS";
    argv[n++] = "-u";
    argv[n++] = "MAKELEVEL";
    argv[n++] = "-u";
    argv[n++] = "MFLAGS";
    argv[n++] = "make";
    argv[n++] = "-s";
    argv[n++] = "-C";
    argv[n++] = TOP_SRCDIR;
    argv[n++] = build;
    while (*args != NULL && n < 31) {
        argv[n++] = (char *) *args++;
    }
    argv[n] = NULL;

    rc = harness_run(argv, NULL, harness_timeout_ms(120000), out);
    ck_assert_ptr_nonnull(*out);
    return rc;
}


/* the regular files under a tree, relative, sorted, each ending in '\n' */
static char   *found[64];
static size_t  nfound, root_len;

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_F) {
        ck_assert_uint_lt(nfound, 64);
        found[nfound] = strdup(path + root_len + 1);
        ck_assert_ptr_nonnull(found[nfound]);
        nfound++;
    }
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static const char *
regular_files(const char *root)
{
    static char  out[4096];
    size_t       i, n;

    nfound = 0;
    root_len = strlen(root);
    ck_assert_msg(nftw(root, collect, 16, FTW_PHYS) == 0, "cannot walk %s",
                  root);
    qsort(found, nfound, sizeof(found[0]), cmp_str);

    out[0] = '\0';
    for (i = 0, n = 0; i < nfound; i++) {
        n += snprintf(out + n, sizeof(out) - n, "%s\n", found[i]);
        ck_assert_uint_lt(n, sizeof(out));
        free(found[i]);
    }
    return out;
}


/* how many entries a directory holds (. and .. aside) */
static int
entries(const char *path)
{
    DIR            *d = opendir(path);
    struct dirent  *e;
    int             n = 0;

    ck_assert_msg(d != NULL, "cannot open %s", path);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

/* the whole file, NUL-terminated, in a malloc'd buffer */
static char *
slurp(const char *path, size_t *len)
{
    struct stat   st;
    char         *buf;
    int           fd;

    fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "cannot open %s", path);
    ck_assert_int_eq(fstat(fd, &st), 0);
    buf = malloc(st.st_size + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(read(fd, buf, st.st_size), st.st_size);
    buf[st.st_size] = '\0';
    close(fd);
    *len = st.st_size;
    return buf;
}

/* installed is the build's file, byte for byte, with this mode */
static void
assert_copy(const char *installed, const char *built, mode_t mode)
{
    struct stat   st;
    size_t        a_len, b_len;
    char         *a, *b;

    ck_assert_int_eq(stat(installed, &st), 0);
    ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %o", installed,
                  st.st_mode & 07777);
    a = slurp(installed, &a_len);
    b = slurp(built, &b_len);
    ck_assert_msg(a_len == b_len && memcmp(a, b, a_len) == 0,
                  "%s is not %s", installed, built);
    free(a);
    free(b);
}


/* make uninstall with these arguments leaves no file under root */
static void
uninstall_leaves_nothing(const char *const *args, const char *root)
{
    char  *out = NULL;
    int    rc;

    rc = run_make(args, &out);
    ck_assert_msg(rc == 0, "make uninstall: %d\n%s", rc, out);
    free(out);
    ck_assert_str_eq(regular_files(root), "");
}


static void
setup(void)
{
    char   *argv[] = { "cc", "-print-multiarch", NULL };
    char   *out = NULL;
    size_t  n;

    snprintf(dir, sizeof(dir), "/tmp/onem2m-test-install.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    multiarch[0] = '\0';
    if (harness_run(argv, NULL, harness_timeout_ms(10000), &out) == 0) {
        n = strcspn(out, "\n");
        ck_assert_uint_lt(n, sizeof(multiarch));
        memcpy(multiarch, out, n);
        multiarch[n] = '\0';
    }
    free(out);
}

static void
teardown(void)
{
    char  *argv[] = { "rm", "-rf", dir, NULL };
    char  *out = NULL;

    harness_run(argv, NULL, harness_timeout_ms(10000), &out);
    free(out);
}


/* the provider's directory under a prefix: lib/<multiarch>/ossl-modules */
static void
ossl_modulesdir(char *buf, size_t size, const char *prefix)
{
    snprintf(buf, size, "%s/lib%s%s/ossl-modules", prefix,
             multiarch[0] ? "/" : "", multiarch);
}


START_TEST(install_into_destdir_uninstall_symmetric)
{
    char         destdir[300], arg_destdir[320], expect[1024], path[1024];
    char         modules[300], *out = NULL, *text;
    const char  *install[] = { "install", arg_destdir,
                               "prefix=/opt/onem2m-sae", TOOL_FILES,
                               "APT_PKGS=" NO_SUCH_PKG, arg_apt_get, NULL };
    const char  *uninstall[] = { "uninstall", arg_destdir,
                                 "prefix=/opt/onem2m-sae", TOOL_FILES,
                                 NULL };
    size_t       len;
    int          rc;
    FILE        *f;

    snprintf(man1, sizeof(man1), "%s/onem2m-sae.1", dir);
    snprintf(arg_man1, sizeof(arg_man1), "PROVIDER_MAN1=%s", man1);
    f = fopen(man1, "w");
    ck_assert_ptr_nonnull(f);
    fputs(".TH ONEM2M-SAE 1\n", f);
    fclose(f);

    snprintf(destdir, sizeof(destdir), "%s/dest", dir);
    snprintf(arg_destdir, sizeof(arg_destdir), "DESTDIR=%s", destdir);

    fake_apt_get();

    /* a package is missing: make install must not call apt-get */
    rc = run_make(install, &out);
    ck_assert_msg(rc == 0, "make install: %d\n%s", rc, out);
    ck_assert_msg(access(marker, F_OK) != 0, "make install ran apt-get");
    free(out);

    ossl_modulesdir(modules, sizeof(modules), "opt/onem2m-sae");
    snprintf(expect, sizeof(expect),
             "opt/onem2m-sae/bin/table_bench\n"
             "opt/onem2m-sae/lib/nginx/modules/" MODULE_SO "\n"
             "opt/onem2m-sae/lib/systemd/system/onem2m-sync@.service\n"
             "%s/onem2m.so\n"
             "opt/onem2m-sae/sbin/cse-stand-in\n"
             "opt/onem2m-sae/sbin/onem2m-sync\n"
             "opt/onem2m-sae/share/man/man1/onem2m-sae.1\n"
             "opt/onem2m-sae/share/man/man8/onem2m-sync.8\n"
             "opt/onem2m-sae/" SNIPPET "\n"
             "opt/onem2m-sae/share/onem2m-sync/schema.sql\n", modules);
    ck_assert_str_eq(regular_files(destdir), expect);

    snprintf(path, sizeof(path), "%s/opt/onem2m-sae/bin/table_bench",
             destdir);
    assert_copy(path, BUILD_DIR "/bench/table_bench", 0755);
    snprintf(path, sizeof(path), "%s/opt/onem2m-sae/sbin/cse-stand-in",
             destdir);
    assert_copy(path, BUILD_DIR "/tools/cse-stand-in", 0755);
    snprintf(path, sizeof(path),
             "%s/opt/onem2m-sae/share/man/man1/onem2m-sae.1", destdir);
    assert_copy(path, man1, 0644);

    snprintf(path, sizeof(path), "%s/%s/onem2m.so", destdir, modules);
    assert_copy(path, BUILD_DIR "/provider/onem2m.so", 0644);
    snprintf(path, sizeof(path),
             "%s/opt/onem2m-sae/lib/nginx/modules/" MODULE_SO, destdir);
    assert_copy(path, HARNESS_MODULE_SO, 0644);

    /* the sync unit runs the daemon where it is installed */
    snprintf(path, sizeof(path),
             "%s/opt/onem2m-sae/lib/systemd/system/onem2m-sync@.service",
             destdir);
    text = slurp(path, &len);
    ck_assert_msg(strstr(text, "\nExecStart=/opt/onem2m-sae/sbin/onem2m-sync "
                         "--store /var/lib/onem2m/%i\n") != NULL, "%s", text);
    ck_assert_ptr_null(strstr(text, "/usr/sbin/onem2m-sync"));
    free(text);

    /* the snippet names the module where it is installed, not in DESTDIR */
    snprintf(path, sizeof(path), "%s/opt/onem2m-sae/" SNIPPET, destdir);
    text = slurp(path, &len);
    ck_assert_str_eq(text, "load_module /opt/onem2m-sae/lib/nginx/modules/"
                     MODULE_SO ";\n");
    free(text);

    uninstall_leaves_nothing(uninstall, destdir);
    /* nor a directory: the stage is as empty as before */
    ck_assert_int_eq(entries(destdir), 0);
}
END_TEST


/*
 * Installed under a prefix of its own (no DESTDIR): nginx loads the module
 * through the installed snippet, the provider from the installed directory
 * (onem2m_sae_provider_path, which make install names), and lock 1 binds.
 */
START_TEST(installed_prefix_serves_lock1)
{
    harness_upstream    *up;
    harness_nginx       *ng;
    harness_tls_opts     o;
    char                 prefix[300], arg_prefix[320], modules[400];
    char                 conf[4096], note[512], *out = NULL;
    const char          *install[] = { "install", arg_prefix, NULL };
    const char          *uninstall[] = { "uninstall", arg_prefix, NULL };
    int                  rc;

    /*
     * "make install" installs the module built for the nginx of the build
     * (Debian's), so that nginx runs it, also when make compat points the
     * other suites at another nginx; Check's fork keeps this to the test.
     */
    setenv("ONEM2M_TEST_NGINX", NGINX_BIN, 1);
    unsetenv("ONEM2M_TEST_LIBRARY_PATH");

    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);

    snprintf(prefix, sizeof(prefix), "%s/inst", dir);
    snprintf(arg_prefix, sizeof(arg_prefix), "prefix=%s", prefix);
    ossl_modulesdir(modules, sizeof(modules), prefix);

    rc = run_make(install, &out);
    ck_assert_msg(rc == 0, "make install: %d\n%s", rc, out);
    snprintf(note, sizeof(note), "onem2m_sae_provider_path %s;", modules);
    ck_assert_msg(strstr(out, note) != NULL, "no \"%s\" in:\n%s", note, out);
    free(out);

    /* Debian's compiled-in temporary paths; the rest in the prefix */
    snprintf(conf, sizeof(conf),
             "include %s/" SNIPPET ";\n"
             "daemon off;\n"
             "pid {{PREFIX}}/nginx.pid;\n"
             "error_log {{PREFIX}}/error.log info;\n"
             "events {}\n"
             "http {\n"
             "    onem2m_sae_provider_path %s;\n"
             "    access_log off;\n"
             SAE_SERVER
             "}\n", prefix, modules);

    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
    harness_nginx_set_upstream(ng, up);
    ck_assert_int_eq(harness_nginx_config_raw(ng, conf), 0);
    rc = harness_nginx_start(ng);
    ck_assert_msg(rc == 0, "nginx did not start; error log:\n%s",
                  harness_log(ng));

    o = sae_lock1(TLS1_2_VERSION);
    sae_assert_bound(ng, up, &o, HARNESS_LOCK1_ENTITY, NULL);

    sae_stop(ng);
    harness_upstream_stop(up);

    uninstall_leaves_nothing(uninstall, prefix);
}
END_TEST


/*
 * The sbin tools are linked with the packager's CPPFLAGS and LDFLAGS
 * (dpkg-buildflags: fortify, relro, bindnow), as the provider is.
 */
START_TEST(tools_link_with_cppflags_and_ldflags)
{
    const char  *args[] = { "-n", "-B", "CPPFLAGS=-DONEM2M_CPPFLAGS_SEEN",
                            "LDFLAGS=-Wl,-z,now",
                            BUILD_DIR "/tools/onem2m-kpsa",
                            BUILD_DIR "/tools/onem2m-sync", NULL };
    const char  *tools[] = { "/tools/onem2m-kpsa", "/tools/onem2m-sync" };
    char        *out = NULL, *p, *q, *line, needle[400];
    size_t       i;
    int          rc;

    rc = run_make(args, &out);
    ck_assert_msg(rc == 0, "make -n: %d\n%s", rc, out);

    /* one recipe line per command: join the continuations */
    for (p = q = out; *p != '\0'; p++) {
        if (p[0] == '\\' && p[1] == '\n') {
            p++;
            continue;
        }
        *q++ = *p;
    }
    *q = '\0';

    for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        snprintf(needle, sizeof(needle), "-o %s%s ", BUILD_DIR, tools[i]);
        line = strstr(out, needle);
        ck_assert_msg(line != NULL, "no link of %s in:\n%s", tools[i], out);
        while (line > out && line[-1] != '\n') {
            line--;
        }
        q = strchr(line, '\n');
        if (q != NULL) {
            *q = '\0';
        }
        ck_assert_msg(strstr(line, "-DONEM2M_CPPFLAGS_SEEN") != NULL
                      && strstr(line, "-Wl,-z,now") != NULL,
                      "%s links without CPPFLAGS or LDFLAGS:\n%s", tools[i],
                      line);
        if (q != NULL) {
            *q = '\n';
        }
    }
    free(out);
}
END_TEST

/* "make run" builds the demo's programs, not the suites and benchmarks */
START_TEST(run_builds_only_the_demo)
{
    const char  *args[] = { "-n", "-B", "run", "APT_PKGS=", NULL };
    char        *out = NULL;
    int          rc;

    rc = run_make(args, &out);
    ck_assert_msg(rc == 0, "make -n run: %d\n%s", rc, out);
    ck_assert_msg(strstr(out, "conf/run-demo") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "/tools/onem2m-kpsa") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "/tools/cse-stand-in") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "check_all") == NULL
                  && strstr(out, "/bench/") == NULL
                  && strstr(out, "onem2m-sync") == NULL,
                  "make run builds more than the demo:\n%.1500s", out);
    free(out);
}
END_TEST

/*
 * "make deps" names a missing package with the apt-get line and stops;
 * with DEPS_INSTALL=yes it installs it, as root, and says so.
 */
START_TEST(deps_installs_only_when_asked_as_root)
{
    char        *out = NULL, *calls;
    const char  *check[] = { "deps", "APT_PKGS=" NO_SUCH_PKG, arg_apt_get,
                             NULL };
    const char  *setup_[] = { "deps", "DEPS_INSTALL=yes",
                              "APT_PKGS=" NO_SUCH_PKG, arg_apt_get, NULL };
    size_t       len;
    int          rc;

    fake_apt_get();

    rc = run_make(check, &out);
    ck_assert_msg(rc != 0, "make deps passed with a package missing:\n%s",
                  out);
    ck_assert_msg(strstr(out, "missing Debian packages: " NO_SUCH_PKG)
                  != NULL && strstr(out, "apt-get install -y " NO_SUCH_PKG)
                  != NULL, "no apt-get line in:\n%s", out);
    ck_assert_msg(access(marker, F_OK) != 0, "make deps ran apt-get");
    free(out);

    rc = run_make(setup_, &out);
    if (geteuid() != 0) {
        ck_assert_msg(rc != 0, "not root, yet:\n%s", out);
        ck_assert_msg(access(marker, F_OK) != 0, "apt-get ran, not root");
        free(out);
        CK_SKIP("not root: DEPS_INSTALL=yes installing packages");
    }
    ck_assert_msg(rc == 0, "make deps DEPS_INSTALL=yes: %d\n%s", rc, out);
    ck_assert_msg(strstr(out, "installing them: ") != NULL,
                  "it does not say what it installs:\n%s", out);
    free(out);
    calls = slurp(marker, &len);
    ck_assert_str_eq(calls, "update -qq\ninstall -y -qq " NO_SUCH_PKG "\n");
    free(calls);
}
END_TEST


Suite *make_install_suite(void)
{
    /* make may have to relink; nginx under valgrind scales the rest */
    return CK_SUITE("make_install",
                    CK_TCASE_MS("install", setup, teardown, 240000),
                    CK_TEST(install_into_destdir_uninstall_symmetric),
                    CK_TEST(installed_prefix_serves_lock1),
                    CK_TEST(deps_installs_only_when_asked_as_root),
                    CK_TEST(tools_link_with_cppflags_and_ldflags),
                    CK_TEST(run_builds_only_the_demo));
}
