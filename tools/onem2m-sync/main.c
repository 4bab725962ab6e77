/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-sync: the loop (sync.h says what it keeps in step, the manual
 * onem2m-sync.8 how to run it).  SIGTERM and SIGINT end it between two
 * transactions: a write transaction is never left half done (LMDB would
 * drop it anyway).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sync.h"

static volatile sig_atomic_t  stop;
static int                    wake[2] = { -1, -1 };

static void
on_signal(int signo)
{
    int  saved = errno;

    stop = 1;
    if (write(wake[1], "", 1) < 0) {
        /* the pipe is full: a wake-up is pending anyway */
    }
    errno = saved;
}

static int
signals_init(void)
{
    struct sigaction  sa;

    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        sync_err("pipe: %s", strerror(errno));
        return -1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    return 0;
}

/* sleeps ms unless a signal comes first */
static void
pause_ms(unsigned ms)
{
    struct pollfd  pfd = { wake[0], POLLIN, 0 };

    if (!stop) {
        (void) poll(&pfd, 1, (int) ms);
    }
}

/* how old the store is, said while the source cannot be reached */
static void
report_stale(const sync_state *st)
{
    if (st->synced_at == 0) {
        sync_warn("the store was never synced: it holds no credentials of "
                  "the source yet");
        return;
    }

    sync_warn("keeping the last good store (seq %" PRIu64 "): %lld s since "
              "the last contact with the source", st->last_seq,
              (long long) (time(NULL) - st->synced_at));
}

/* --once: connect, catch up, exit */
static int
run_once(const sync_opts *o, sync_state *st)
{
    PGconn  *c = sync_source_connect(o->conninfo);
    int      rc;

    if (c == NULL) {
        report_stale(st);
        return SYNC_FAIL;
    }

    rc = sync_catch_up(st, c, o->batch);
    PQfinish(c);

    if (rc == 0) {
        sync_info("in sync: last seq %" PRIu64, st->last_seq);
    }

    return rc == 0 ? SYNC_OK : SYNC_FAIL;
}

/*
 * Connected: catch up on every notification and at every poll interval.
 * -1 when the connection is lost, -2 when the store fails, 0 on a signal.
 */
static int
serve(const sync_opts *o, sync_state *st, PGconn *c)
{
    int  rc;

    while (!stop) {
        rc = sync_catch_up(st, c, o->batch);

        if (rc != 0) {
            return rc;
        }

        if (sync_source_wait(c, wake[0], o->poll_ms) < 0) {
            return -1;
        }
    }

    return 0;
}

static int
run(const sync_opts *o, sync_state *st)
{
    PGconn    *c;
    unsigned   backoff = SYNC_FIRST_BACKOFF_MS, failures = 0;
    int        rc = -1;

    while (!stop) {
        c = sync_source_connect(o->conninfo);

        if (c != NULL) {
            sync_info("connected to the source, listening on "
                      SYNC_CHANNEL " (store at seq %" PRIu64 ")",
                      st->last_seq);
            failures = 0;
            rc = serve(o, st, c);
            PQfinish(c);

            if (rc == -1) {
                /* the connection dropped: a new one at once */
                backoff = SYNC_FIRST_BACKOFF_MS;
                continue;
            }

        } else if (!stop && (failures++ == 0
                             || backoff == o->backoff_max_ms))
        {
            report_stale(st);
        }

        if (stop) {
            break;
        }

        sync_info("trying again in %u ms", backoff);
        pause_ms(backoff);
        backoff = backoff > o->backoff_max_ms / 2 ? o->backoff_max_ms
                                                  : backoff * 2;
    }

    sync_info("stopping (store at seq %" PRIu64 ")", st->last_seq);
    return SYNC_OK;
}

int
main(int argc, char **argv)
{
    sync_opts   o;
    sync_state  st;
    int         rc;

    if (sync_args_parse(&o, argc, argv) != 0) {
        sync_usage(0);
        return SYNC_USAGE;
    }

    sync_log_init(o.verbose);

    if (signals_init() != 0 || sync_state_load(&st, o.store_dir) != 0) {
        return SYNC_FAIL;
    }

    rc = o.once ? run_once(&o, &st) : run(&o, &st);

    kpsa_store_close(st.store);
    return rc;
}
