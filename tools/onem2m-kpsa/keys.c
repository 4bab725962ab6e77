/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keys: from the OS CSPRNG through OpenSSL's private DRBG
 * (RAND_priv_bytes, seeded by getrandom), hex in and out.  Nothing here
 * prints a key; buffers that held one are cleansed by their owners.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "kpsa.h"

/* a hex key, a line break and some blanks around it */
#define KEY_FILE_MAX   (2 * ONEM2M_SAE_MAX_KEY_LEN + 64)

int
kpsa_key_generate(unsigned char *key, size_t len)
{
    if (RAND_priv_bytes(key, (int) len) != 1) {
        kpsa_err("the random generator failed; nothing written");
        return -1;
    }

    return 0;
}

int
kpsa_hex_decode(const char *hex, size_t hexlen, unsigned char *out,
    size_t max, size_t *out_len)
{
    size_t  i;
    int     hi, lo;

    if (hexlen >= 2 && hex[0] == '0' && (hex[1] | 0x20) == 'x') {
        hex += 2;
        hexlen -= 2;
    }

    if (hexlen == 0 || hexlen % 2 != 0 || hexlen / 2 > max) {
        return -1;
    }

    for (i = 0; i < hexlen / 2; i++) {
        hi = onem2m_text_hex_value((unsigned char) hex[2 * i]);
        lo = onem2m_text_hex_value((unsigned char) hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(out, i);
            return -1;
        }

        out[i] = (unsigned char) (hi << 4 | lo);
    }

    *out_len = hexlen / 2;
    return 0;
}

int
kpsa_key_read(const char *file, unsigned char *key, size_t *key_len)
{
    char     buf[KEY_FILE_MAX + 1];
    size_t   len, start, end;
    int      fd, rc = -1;

    /* read(2), not stdio: the only copies are here and in key */
    if (strcmp(file, "-") == 0) {
        fd = STDIN_FILENO;
    } else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
        kpsa_err("%s: cannot open (%s)", file, strerror(errno));
        return -1;
    }

    if (kpsa_read_full(fd, file, buf, sizeof(buf), &len) != 0) {
        goto done;
    }

    if (len == sizeof(buf)) {
        kpsa_err("%s: longer than a hex key of %d bytes", file,
                 ONEM2M_SAE_MAX_KEY_LEN);
        goto done;
    }

    for (start = 0; start < len && strchr(" \t\r\n", buf[start]); start++) {
        /* void */
    }

    for (end = len; end > start && strchr(" \t\r\n", buf[end - 1]); end--) {
        /* void */
    }

    /* never echoed, not even in part */
    if (kpsa_hex_decode(buf + start, end - start, key,
                        ONEM2M_SAE_MAX_KEY_LEN, key_len) != 0)
    {
        kpsa_err("%s: not one key of 1 to %d bytes in hex", file,
                 ONEM2M_SAE_MAX_KEY_LEN);
        goto done;
    }

    rc = 0;

done:

    if (fd != STDIN_FILENO) {
        close(fd);
    }

    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int
kpsa_key_length_ok(size_t len, int force, const char *what)
{
    if (len >= ONEM2M_SAE_SHORT_KEY_LEN || force) {
        return 0;
    }

    kpsa_err("%s is only %zu bytes: %d or more are recommended (stunnel "
             "refuses fewer); --force takes it anyway", what, len,
             ONEM2M_SAE_SHORT_KEY_LEN);
    return -1;
}

/* 16 hex digits: 64 random bits, so that KpsaIDs do not collide */
int
kpsa_random_relative(char *out, size_t outlen)
{
    unsigned char  r[8];

    if (outlen < 2 * sizeof(r) + 1 || RAND_bytes(r, sizeof(r)) != 1) {
        kpsa_err("the random generator failed; nothing written");
        return -1;
    }

    onem2m_text_hex_encode(r, sizeof(r), out);
    return 0;
}

/* the key of add and rotate: --key-file, or generated (--bytes) */
int
kpsa_key_obtain(const kpsa_opts *o, unsigned char *key, size_t *key_len)
{
    if (o->key_file != NULL && o->bytes != 0) {
        kpsa_err("--bytes and --key-file exclude each other");
        return -1;
    }

    if (o->key_file != NULL) {
        if (kpsa_key_read(o->key_file, key, key_len) != 0) {
            return -1;
        }
    } else {
        *key_len = o->bytes ? (size_t) o->bytes : KPSA_DEFAULT_KEY_BYTES;
    }

    if (kpsa_key_length_ok(*key_len, o->force, "the key") != 0) {
        return -1;
    }

    return o->key_file == NULL ? kpsa_key_generate(key, *key_len) : 0;
}
