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
#include <pwd.h>
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

static long long
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    PGconn  *c = sync_source_connect(o->conninfo, 1);
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

static unsigned
next_backoff(const sync_opts *o, unsigned backoff)
{
    return backoff > o->backoff_max_ms / 2 ? o->backoff_max_ms : backoff * 2;
}

/*
 * While the source cannot be reached, a connection is tried every
 * --retry (0.5 s): the time between the source's return and this node
 * applying what changed there (a revocation) is about that long.  What
 * backs off is what the attempts say: the first failure, then messages
 * 0.25 s, 0.5 s, ... apart, up to --max-backoff, so that a long outage
 * does not flood the journal.  A failing store is not an outage of the
 * source: its attempts back off as well.
 */
static int
run(const sync_opts *o, sync_state *st)
{
    PGconn     *c;
    unsigned    backoff = SYNC_FIRST_BACKOFF_MS, store_backoff;
    long long   next_report = 0, now;
    int         rc = -1, report;

    store_backoff = SYNC_FIRST_BACKOFF_MS;

    while (!stop) {
        now = now_ms();
        report = now >= next_report;
        c = sync_source_connect(o->conninfo, report);

        if (c != NULL) {
            sync_info("connected to the source, listening on "
                      SYNC_CHANNEL " (store at seq %" PRIu64 ")",
                      st->last_seq);
            backoff = SYNC_FIRST_BACKOFF_MS;
            next_report = 0;
            rc = serve(o, st, c);
            PQfinish(c);

            /*
             * the connection dropped: a new one at once, unless it failed
             * as soon as it was made (a query the source refuses): then
             * not faster than --retry
             */
            if (rc == -1 && now_ms() - now >= (long long) o->retry_ms) {
                continue;
            }

            if (rc == -2 && !stop) {
                sync_info("trying again in %u ms", store_backoff);
                pause_ms(store_backoff);
                store_backoff = next_backoff(o, store_backoff);
                continue;
            }

        } else if (!stop && report) {
            report_stale(st);
            sync_info("trying again every %u ms; next message in %u ms "
                      "at the latest", o->retry_ms, backoff);
            next_report = now + backoff;
            backoff = next_backoff(o, backoff);
        }

        if (stop) {
            break;
        }

        pause_ms(o->retry_ms);
    }

    sync_info("stopping (store at seq %" PRIu64 ")", st->last_seq);
    return SYNC_OK;
}

/*
 * libpq looks the process's uid up in the passwd database: for the user
 * name when the source names none, and for the home directory of
 * ~/.pgpass.  A uid without an entry (no system user made) fails the
 * connection with "local user with ID N does not exist".
 */
static void
check_passwd(void)
{
    if (getpwuid(geteuid()) == NULL) {
        sync_warn("uid %ld has no passwd entry, which libpq needs (the "
                  "user name when the source names no user=, the home "
                  "directory of .pgpass): create the system user, e.g. "
                  "useradd --system --home-dir /var/lib/onem2m --shell "
                  "/usr/sbin/nologin onem2m-sync", (long) geteuid());
    }
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
    check_passwd();

    if (signals_init() != 0 || sync_state_load(&st, o.store_dir) != 0) {
        return SYNC_FAIL;
    }

    rc = o.once ? run_once(&o, &st) : run(&o, &st);

    kpsa_store_close(st.store);
    return rc;
}
