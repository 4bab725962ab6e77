/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-sync processes, the store as a reader sees it, and sealed keys
 * for the tests' rows.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/harness.h"
#include "fleet.h"

#define SYNC_STOP_TIMEOUT_MS  10000
#define SYNC_ONCE_TIMEOUT_MS  30000
#define STORE_POLL_US         5000

/* the tests' KEK: 32 bytes, never a production one */
const unsigned char  fleet_kek[KPSA_KEK_LEN] = {
    0x6b, 0x65, 0x6b, 0x2d, 0x66, 0x6f, 0x72, 0x2d, 0x74, 0x68, 0x65, 0x2d,
    0x66, 0x6c, 0x65, 0x65, 0x74, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x73, 0x2d,
    0x6f, 0x6e, 0x6c, 0x79, 0x2e, 0x2e, 0x2e, 0x21
};

int
fleet_sealed_sql(const char *kpsa_id, const char *entity, const char *key_hex,
    char *out, size_t len)
{
    unsigned char  key[KPSA_MAX_KEY_LEN], sealed[KPSA_SEALED_MAX];
    size_t         sealed_len = 0, i;
    int            key_len;

    key_len = harness_unhex(key_hex, key, sizeof(key));

    if (key_len <= 0
        || !kpsa_envelope_seal(fleet_kek, kpsa_id, entity, key, key_len,
                               sealed, &sealed_len)
        || len < 2 * sealed_len + 3)
    {
        OPENSSL_cleanse(key, sizeof(key));
        return -1;
    }

    OPENSSL_cleanse(key, sizeof(key));
    out[0] = '\\';
    out[1] = 'x';

    for (i = 0; i < sealed_len; i++) {
        snprintf(out + 2 + 2 * i, 3, "%02x", sealed[i]);
    }

    return 0;
}

int
fleet_insert(const fleet_pg *pg, const char *kpsa_id, const char *entity,
    const char *key_hex)
{
    char  sealed[2 * KPSA_SEALED_MAX + 3], sql[4 * KPSA_SEALED_MAX];

    if (fleet_sealed_sql(kpsa_id, entity, key_hex, sealed, sizeof(sealed))
        != 0)
    {
        return -1;
    }

    snprintf(sql, sizeof(sql), "INSERT INTO onem2m.credentials (kpsa_id, "
             "entity, sealed) VALUES ('%s', '%s', '%s')", kpsa_id, entity,
             sealed);
    return fleet_pg_sql(pg, FLEET_WRITER, sql, NULL);
}

int
fleet_revoke(const fleet_pg *pg, const char *kpsa_id)
{
    char  sql[512];

    snprintf(sql, sizeof(sql), "UPDATE onem2m.credentials SET revoked = true "
             "WHERE kpsa_id = '%s'", kpsa_id);
    return fleet_pg_sql(pg, FLEET_WRITER, sql, NULL);
}

int
fleet_sync_start(fleet_sync *s, const fleet_pg *pg, const char *store,
    const char *extra_arg)
{
    char   conninfo[PATH_MAX + 64], source[PATH_MAX + 80];
    char  *argv[] = { FLEET_SYNC_BIN, "--store", (char *) store, "--source",
                      source, "--poll", "0.2", "--max-backoff", "0.5", "-v",
                      (char *) extra_arg, NULL };
    int    fd;

    memset(s, 0, sizeof(*s));
    snprintf(s->store, sizeof(s->store), "%s", store);
    snprintf(s->log, sizeof(s->log), "%s.log", store);
    snprintf(source, sizeof(source), "postgresql:%s",
             fleet_pg_conninfo(pg, FLEET_READER, conninfo,
                               sizeof(conninfo)));

    s->pid = fork();

    if (s->pid == 0) {
        fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, 2) < 0) {
            _exit(126);
        }
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execv(argv[0], argv);
        _exit(127);
    }

    return s->pid > 0 ? 0 : -1;
}

int
fleet_sync_stop(fleet_sync *s, int sig)
{
    int  status, rc;

    if (s->pid <= 0) {
        return -1;
    }

    rc = fleet_kill_wait(s->pid, sig, SIGKILL, SYNC_STOP_TIMEOUT_MS, &status);
    s->pid = 0;

    if (rc != 0) {
        return -2;
    }

    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
fleet_sync_once(const fleet_pg *pg, const char *store, char **out)
{
    char   conninfo[PATH_MAX + 64];
    char  *argv[] = { FLEET_SYNC_BIN, "--store", (char *) store, "--source",
                      conninfo, "--once", NULL };

    fleet_pg_conninfo(pg, FLEET_READER, conninfo, sizeof(conninfo));
    return harness_run(argv, NULL, harness_timeout_ms(SYNC_ONCE_TIMEOUT_MS),
                       out);
}

static char *
slurp(const char *path)
{
    FILE    *f = fopen(path, "r");
    char    *buf = NULL;
    size_t   len = 0;
    ssize_t  n;

    if (f == NULL) {
        return NULL;
    }

    n = getdelim(&buf, &len, '\0', f);
    fclose(f);

    if (n < 0) {
        free(buf);
        return NULL;
    }

    return buf;
}

int
fleet_sync_log_contains(const fleet_sync *s, const char *needle)
{
    char  *text = slurp(s->log);
    int    found = text != NULL && strstr(text, needle) != NULL;

    free(text);
    return found;
}

int
fleet_sync_log_wait(const fleet_sync *s, const char *needle, int timeout_ms)
{
    long long  deadline = harness_now_ms() + harness_timeout_ms(timeout_ms);

    do {
        if (fleet_sync_log_contains(s, needle)) {
            return 0;
        }
        usleep(STORE_POLL_US);
    } while (harness_now_ms() < deadline);

    return -1;
}

int
fleet_store_state(const char *store, const char *kpsa_id, char *key_hex,
    size_t len)
{
    kpsa_store      *s;
    kpsa_store_rec   rec;
    unsigned char    key[KPSA_MAX_KEY_LEN];
    size_t           key_len = 0, i;
    char             err[256];
    int              rc;

    s = kpsa_store_open(store, 0, err, sizeof(err));

    if (s == NULL) {
        return -1;
    }

    rc = kpsa_store_get(s, kpsa_id, strlen(kpsa_id), &rec);

    if (rc == 1 && key_hex != NULL) {
        if (!kpsa_envelope_open(fleet_kek, rec.kpsa_id, rec.entity,
                                rec.sealed, rec.sealed_len, key, &key_len)
            || len < 2 * key_len + 1)
        {
            rc = -1;
        } else {
            for (i = 0; i < key_len; i++) {
                snprintf(key_hex + 2 * i, 3, "%02x", key[i]);
            }
        }
        OPENSSL_cleanse(key, sizeof(key));
    }

    OPENSSL_cleanse(&rec, sizeof(rec));
    kpsa_store_close(s);
    return rc;
}

int
fleet_store_meta(const char *store, uint64_t *last_seq, int64_t *synced_at,
    char *source_id, size_t source_id_len)
{
    kpsa_store  *s;
    char         err[256];
    int          rc;

    s = kpsa_store_open(store, 0, err, sizeof(err));

    if (s == NULL) {
        return -1;
    }

    rc = kpsa_store_get_meta(s, last_seq, synced_at, source_id,
                             source_id_len);
    kpsa_store_close(s);
    return rc == 1 ? 0 : -1;
}

int
fleet_store_wait(const char *store, const char *kpsa_id, int want,
    int timeout_ms)
{
    long long  deadline = harness_now_ms() + harness_timeout_ms(timeout_ms);

    do {
        if (fleet_store_state(store, kpsa_id, NULL, 0) == want) {
            return 0;
        }
        usleep(STORE_POLL_US);
    } while (harness_now_ms() < deadline);

    return -1;
}
