/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * psk_load: the TLS load client of "make bench-tls" (not a test).
 *
 * N processes open connections for T seconds, each with a full handshake
 * (no session cache, no tickets asked for: never a resumption), then K
 * HTTP/1.1 requests on the connection (the last one "Connection: close"),
 * and report handshakes/s, p50/p99 latencies, failures and the CPU the
 * server's processes used in the measured window (from /proc).
 *
 * Credentials are generated, not read: identity i of a table of E entries
 * is the KpsaID "bench<i>@bench.example" of the AE "Cbench<i>", with a
 * 16-byte key of printable characters (stunnel takes PSKsecrets keys as
 * text and refuses shorter ones).  The same generator writes the tables the
 * servers load, so the client needs none in memory; each connection picks
 * a random identity, spread over the whole table.
 *
 *   psk_load run [options]              the load (see usage())
 *   psk_load table E kpsa|stunnel FILE  write a table of E credentials
 *   psk_load key I                      the key of identity I, in hex
 *   psk_load identity I                 the KpsaID of identity I
 *   psk_load free-port                  an unused TCP port on 127.0.0.1
 *
 * Output of "run": one line of key=value pairs (bench/bench-tls parses it).
 * A load process is psk_load_conn.c.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench_clock.h"
#include "bench_mix.h"
#include "psk_load.h"


typedef struct {
    const char  *name;
    mode_t_      mode;
} mode_name_t;

static const mode_name_t  modes[] = {
    { "tls12", MODE_TLS12 },
    { "tls13", MODE_TLS13 },
    { "tls13-ke", MODE_TLS13_KE },
    { "cert12", MODE_CERT12 },
    { "cert13", MODE_CERT13 },
    { NULL, 0 }
};


options_t                     opt;
shared_t                     *shm;
static volatile sig_atomic_t  got_signal;


/* the credential generator: shared by "run" and "table" */

void
cred_identity(unsigned i, char *buf, size_t size)
{
    snprintf(buf, size, "bench%07u@bench.example", i);
}

void
cred_entity(unsigned i, char *buf, size_t size)
{
    snprintf(buf, size, "Cbench%07u", i);
}

/* 16 printable bytes: the hex digits of a 64-bit hash of i */
void
cred_key(unsigned i, unsigned char key[16])
{
    char  text[17];

    snprintf(text, sizeof(text), "%016" PRIx64, splitmix64(i));
    memcpy(key, text, 16);
}


double
now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

static void
on_signal(int sig)
{
    got_signal = 1;
}


/* CPU seconds of a process, its threads, its reaped and live children */

static double
proc_cpu(pid_t pid, int children)
{
    FILE               *f;
    char                path[64], buf[1024], *p;
    unsigned long long  ut, st;
    long long           cut, cst;
    double              sum = 0;
    int                 c;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
    fclose(f);
    /* after "pid (comm)": state, then fields 4..; utime is field 14 */
    if (p == NULL
        || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                  "%llu %llu %lld %lld", &ut, &st, &cut, &cst) != 4)
    {
        return 0;
    }
    sum = (double) (ut + st + cut + cst) / sysconf(_SC_CLK_TCK);

    if (!children) {
        return sum;
    }

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int) pid,
             (int) pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return sum;
    }
    while (fscanf(f, "%d", &c) == 1) {
        sum += proc_cpu((pid_t) c, 0);
    }
    fclose(f);

    return sum;
}

static double
pids_cpu(const pid_t *pids, int n)
{
    double  sum = 0;
    int     i;

    for (i = 0; i < n; i++) {
        sum += proc_cpu(pids[i], 1);
    }
    return sum;
}


/* percentiles of the merged histograms */

static double
percentile(const uint64_t *hist, uint64_t total, double p)
{
    uint64_t  want, seen = 0;
    long      i;

    if (total == 0) {
        return 0;
    }
    want = (uint64_t) (p * (double) total);
    if (want >= total) {
        want = total - 1;
    }
    for (i = 0; i < HIST_US; i++) {
        seen += hist[i];
        if (seen > want) {
            return (double) i;
        }
    }
    return HIST_US;
}

static void
sleep_until(double t)
{
    double           d;
    struct timespec  ts;

    while (!got_signal && (d = t - now()) > 0) {
        if (d > 0.05) {
            d = 0.05;
        }
        ts.tv_sec = 0;
        ts.tv_nsec = (long) (d * 1e9);
        nanosleep(&ts, NULL);
    }
}

/* the processes' counters summed, their histograms merged */
typedef struct {
    uint64_t  hs, reqs, hs_fail, req_fail, resumed;
    uint64_t  hs_hist[HIST_US], req_hist[HIST_US];
} totals_t;

/* the shared counters and the signal handlers; -1: no shared memory */
static int
run_setup(void)
{
    struct sigaction  sa;
    size_t            size;

    size = sizeof(shared_t) + (size_t) opt.procs * sizeof(proc_stats_t);
    shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
               -1, 0);
    if (shm == MAP_FAILED) {
        perror("psk_load: mmap");
        return -1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    return 0;
}

/* the load processes; opt.procs is how many could be started */
static void
start_procs(pid_t *pids)
{
    int  i;

    for (i = 0; i < opt.procs; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            child(i);
        }
        if (pids[i] < 0) {
            perror("psk_load: fork");
            shm->stop = 1;
            opt.procs = i;
            break;
        }
    }
}

/* 1 if a load process failed */
static int
wait_procs(const pid_t *pids)
{
    int  i, status, bad = 0;

    for (i = 0; i < opt.procs; i++) {
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status)
            || WEXITSTATUS(status) != 0)
        {
            bad = 1;
        }
    }

    return bad;
}

static void
merge_stats(totals_t *t)
{
    proc_stats_t  *st;
    long           gi;
    int            i;

    for (i = 0; i < opt.procs; i++) {
        st = &shm->procs[i];
        t->hs += st->handshakes;
        t->reqs += st->requests;
        t->hs_fail += st->hs_failures;
        t->req_fail += st->req_failures;
        t->resumed += st->resumed;
        for (gi = 0; gi < HIST_US; gi++) {
            t->hs_hist[gi] += st->hs_hist[gi];
            t->req_hist[gi] += st->req_hist[gi];
        }
    }
}

static const char *
mode_name(mode_t_ mode)
{
    int  i, j = 0;

    for (i = 0; modes[i].name != NULL; i++) {
        if (modes[i].mode == mode) {
            j = i;
        }
    }

    return modes[j].name;
}

/* the one line bench/bench-tls parses */
static void
print_result(const totals_t *t, double elapsed, double cpu_front,
    double cpu_back)
{
    printf("mode=%s procs=%d requests_per_conn=%d entries=%u seconds=%.3f "
           "handshakes=%" PRIu64 " hs_per_s=%.1f hs_p50_us=%.0f "
           "hs_p99_us=%.0f requests=%" PRIu64 " req_per_s=%.1f "
           "req_p50_us=%.0f req_p99_us=%.0f hs_failures=%" PRIu64 " "
           "req_failures=%" PRIu64 " resumed=%" PRIu64 " "
           "cpu_front_s=%.3f cpu_back_s=%.3f cipher=%s kex_group=%s\n",
           mode_name(opt.mode), opt.procs, opt.requests, opt.entries,
           elapsed, t->hs, t->hs / elapsed,
           percentile(t->hs_hist, t->hs, 0.50),
           percentile(t->hs_hist, t->hs, 0.99), t->reqs, t->reqs / elapsed,
           percentile(t->req_hist, t->reqs, 0.50),
           percentile(t->req_hist, t->reqs, 0.99),
           t->hs_fail, t->req_fail, t->resumed, cpu_front, cpu_back,
           opt.procs && shm->procs[0].cipher[0] ? shm->procs[0].cipher : "-",
           opt.procs && shm->procs[0].kex_group
               ? OBJ_nid2sn(shm->procs[0].kex_group & ~TLSEXT_nid_unknown)
               : "none");
}

static int
run(void)
{
    static totals_t  tot;
    double           cpu_f0, cpu_f1, cpu_b0, cpu_b1;
    pid_t            pids[MAX_PROCS];
    int              bad;

    if (run_setup() != 0) {
        return 1;
    }

    shm->t0 = now() + opt.warmup;
    shm->t1 = 0;
    start_procs(pids);

    sleep_until(shm->t0);
    cpu_f0 = pids_cpu(opt.front, opt.nfront);
    cpu_b0 = pids_cpu(opt.back, opt.nback);
    shm->t0 = now();

    sleep_until(shm->t0 + opt.seconds);
    shm->t1 = now();
    cpu_f1 = pids_cpu(opt.front, opt.nfront);
    cpu_b1 = pids_cpu(opt.back, opt.nback);
    shm->stop = 1;

    bad = wait_procs(pids);
    merge_stats(&tot);
    print_result(&tot, shm->t1 - shm->t0, cpu_f1 - cpu_f0, cpu_b1 - cpu_b0);

    return bad || tot.resumed ? 1 : 0;
}


/* the other commands */

static int
write_table(unsigned entries, const char *format, const char *file)
{
    FILE           *f;
    char            id[64], entity[64];
    unsigned char   key[16];
    unsigned        i;
    int             k, stunnel;

    stunnel = strcmp(format, "stunnel") == 0;
    if (!stunnel && strcmp(format, "kpsa") != 0) {
        fprintf(stderr, "psk_load: table format is kpsa or stunnel\n");
        return 2;
    }

    f = fopen(file, "w");
    if (f == NULL) {
        perror(file);
        return 1;
    }
    fchmod(fileno(f), 0600);

    if (!stunnel) {
        fprintf(f, "# psk_load table %u kpsa: generated bench credentials\n",
                entries);
    }

    for (i = 0; i < entries; i++) {
        cred_identity(i, id, sizeof(id));
        cred_entity(i, entity, sizeof(entity));
        cred_key(i, key);
        /* stunnel decodes a key of hex digits: hex in both formats */
        if (stunnel) {
            fprintf(f, "%s:", id);
        } else {
            fprintf(f, "%s ", entity);
        }
        for (k = 0; k < 16; k++) {
            fprintf(f, "%02x", key[k]);
        }
        if (stunnel) {
            fprintf(f, "\n");
        } else {
            fprintf(f, " %s\n", id);
        }
    }

    OPENSSL_cleanse(key, sizeof(key));
    if (fclose(f) != 0) {
        perror(file);
        return 1;
    }
    return 0;
}

static int
free_port(void)
{
    struct sockaddr_in  sin;
    socklen_t           len = sizeof(sin);
    int                 fd;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0
        || getsockname(fd, (struct sockaddr *) &sin, &len) != 0)
    {
        perror("psk_load: free-port");
        return 1;
    }
    printf("%u\n", (unsigned) ntohs(sin.sin_port));
    close(fd);
    return 0;
}

static void
usage(void)
{
    fprintf(stderr,
        "usage: psk_load run -p PORT [-h HOST] [-m MODE] [-n PROCS] "
        "[-t SECONDS]\n"
        "                [-w WARMUP] [-k REQUESTS] [-e ENTRIES | -i INDEX] "
        "[-o] [-u PATH]\n"
        "                [-s SNI] [-c PID]... [-b PID]...\n"
        "  MODE      tls12 (PSK-AES128-CBC-SHA256), tls13 (psk_dhe_ke), "
        "tls13-ke (psk_ke),\n"
        "            cert12, cert13 (ECDHE-ECDSA P-256)     default tls12\n"
        "  -k N      requests per connection, the last with Connection: "
        "close (default 1;\n"
        "            0: handshake only)\n"
        "  -e E      identities 0..E-1, one at random per connection "
        "(default 2)\n"
        "  -i I      identity I only\n"
        "  -o        send X-M2M-Origin: <the identity's AE-ID>\n"
        "  -c, -b    the server's (front) and backend processes whose CPU "
        "is measured;\n"
        "            children included (nginx workers)\n"
        "       psk_load table ENTRIES kpsa|stunnel FILE\n"
        "       psk_load key INDEX | identity INDEX | free-port\n");
}

/*
 * table, key, identity and free-port; returns the exit status, or -1 when
 * argv is none of them
 */
static int
other_command(int argc, char **argv)
{
    unsigned char  key[16];
    char           id[64];
    int            i;

    if (argc >= 2 && strcmp(argv[1], "table") == 0 && argc == 5) {
        return write_table((unsigned) strtoul(argv[2], NULL, 10), argv[3],
                           argv[4]);
    }
    if (argc == 3 && strcmp(argv[1], "key") == 0) {
        cred_key((unsigned) strtoul(argv[2], NULL, 10), key);
        for (i = 0; i < 16; i++) {
            printf("%02x", key[i]);
        }
        printf("\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "identity") == 0) {
        cred_identity((unsigned) strtoul(argv[2], NULL, 10), id, sizeof(id));
        printf("%s\n", id);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "free-port") == 0) {
        return free_port();
    }

    return -1;
}

/* -m NAME; -1: no such mode */
static int
mode_by_name(const char *name, mode_t_ *mode)
{
    int  i;

    for (i = 0; modes[i].name != NULL; i++) {
        if (strcmp(modes[i].name, name) == 0) {
            *mode = modes[i].mode;
            return 0;
        }
    }

    return -1;
}

/* -c PID (front) or -b PID (back); -1: too many */
static int
add_pid(int c, const char *arg)
{
    if ((c == 'c' ? opt.nfront : opt.nback) == MAX_PIDS) {
        return -1;
    }
    if (c == 'c') {
        opt.front[opt.nfront++] = (pid_t) atoi(arg);
    } else {
        opt.back[opt.nback++] = (pid_t) atoi(arg);
    }

    return 0;
}

/* the options of "run" into opt; -1: bad usage */
static int
run_options(int argc, char **argv)
{
    int  c;

    opt.host = "127.0.0.1";
    opt.mode = MODE_TLS12;
    opt.procs = 2;
    opt.seconds = 5;
    opt.warmup = 0.5;
    opt.requests = 1;
    opt.entries = 2;
    opt.path = "/bench.txt";

    optind = 2;
    while ((c = getopt(argc, argv, "h:p:m:n:t:w:k:e:i:ou:s:c:b:")) != -1) {
        switch (c) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'm':
            if (mode_by_name(optarg, &opt.mode) != 0) {
                return -1;
            }
            break;
        case 'n': opt.procs = atoi(optarg); break;
        case 't': opt.seconds = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'k': opt.requests = atoi(optarg); break;
        case 'e': opt.entries = (unsigned) strtoul(optarg, NULL, 10); break;
        case 'i':
            opt.first = (unsigned) strtoul(optarg, NULL, 10);
            opt.entries = 1;
            break;
        case 'o': opt.origin = 1; break;
        case 'u': opt.path = optarg; break;
        case 's': opt.sni = optarg; break;
        case 'c':
        case 'b':
            if (add_pid(c, optarg) != 0) {
                return -1;
            }
            break;
        default:
            return -1;
        }
    }

    if (opt.port <= 0 || opt.port > 65535 || opt.procs < 1
        || opt.procs > MAX_PROCS || opt.seconds <= 0 || opt.warmup < 0
        || opt.requests < 0 || opt.entries == 0 || optind != argc)
    {
        return -1;
    }

    return 0;
}

int
main(int argc, char **argv)
{
    int  rc;

    rc = other_command(argc, argv);
    if (rc >= 0) {
        return rc;
    }
    if (argc < 2 || strcmp(argv[1], "run") != 0
        || run_options(argc, argv) != 0)
    {
        usage();
        return 2;
    }

    return run();
}
