/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The harness's small helpers: clocks and timeouts, the environment
 * (which nginx, module and provider the suites run), memory, growing
 * buffers, reading a whole file, hex.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/harness_internal.h"

long long
harness_now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long
harness_now_ms(void)
{
    return harness_now_us() / 1000;
}

long long
harness_deadline_ms(int base_ms)
{
    return harness_now_ms() + harness_timeout_ms(base_ms);
}

void
harness_nap_ms(int ms)
{
    struct timespec  ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
        /* again */
    }
}

int
harness_timeout_ms(int base_ms)
{
    const char  *w = getenv("ONEM2M_TEST_NGINX_WRAPPER");

    return (w != NULL && *w != '\0') ? base_ms * 20 : base_ms;
}

const char *
harness_env_or(const char *name, const char *dflt)
{
    const char  *v = getenv(name);

    return (v != NULL && *v != '\0') ? v : dflt;
}

const char *
harness_nginx_bin(void)
{
    return harness_env_or("ONEM2M_TEST_NGINX", NGINX_BIN);
}

const char *
harness_module_so(void)
{
    return harness_env_or("ONEM2M_TEST_MODULE", HARNESS_MODULE_SO);
}

const char *
harness_provider_dir(void)
{
    return harness_env_or("ONEM2M_TEST_PROVIDER_DIR", HARNESS_PROVIDER_DIR);
}

void *
harness_xmalloc(size_t n)
{
    void  *p = malloc(n ? n : 1);

    if (p == NULL) {
        abort();
    }
    return p;
}

char *
harness_xstrndup(const char *s, size_t n)
{
    char  *p = harness_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void
harness_buf_add(harness_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (b->data == NULL) {
            abort();
        }
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
harness_buf_str(harness_buf *b, const char *s)
{
    harness_buf_add(b, s, strlen(s));
}

void
harness_buf_fmt(harness_buf *b, const char *fmt, ...)
{
    va_list  ap;
    char    *s;
    int      n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        abort();
    }
    harness_buf_add(b, s, (size_t) n);
    free(s);
}

char *
harness_read_file(const char *path, size_t *len)
{
    harness_buf  b = { NULL, 0, 0 };
    char         tmp[8192];
    ssize_t      n;
    int          fd;

    harness_buf_add(&b, "", 0);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
            harness_buf_add(&b, tmp, (size_t) n);
        }
        close(fd);
    }
    if (len != NULL) {
        *len = b.len;
    }
    return b.data;
}

int
harness_unhex(const char *hex, unsigned char *out, size_t max)
{
    size_t  n = strlen(hex), i;

    if (n % 2 != 0 || n / 2 > max) {
        return -1;
    }
    for (i = 0; i < n / 2; i++) {
        unsigned int  v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (unsigned char) v;
    }
    return (int) (n / 2);
}
