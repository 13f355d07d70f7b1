/*
 * dumm-agent: init wrapper and exec agent for Dumm's UML guests.
 *
 * One static binary, installed read-only at /.dumm/init in the boot layer Dumm puts on top of
 * every guest's root. The kernel starts it as PID 1 (init=/.dumm/init):
 *   - it mounts /proc, /sys, /dev and /dev/pts when the master has not,
 *   - starts itself again as the agent ("dumm-agent agent") in its own session,
 *   - then execs the master's own init (/sbin/init, or $dumm_init from the kernel command line),
 *     or, for a root without an init, stays PID 1: reaps orphans, keeps a shell on the
 *     interactive console and restarts the agent if it dies.
 *
 * The agent serves the host on AGENT_TTY (UML's con7, a host pty): framed binary requests,
 * several at once, each command in its own session/process group, killed on timeout.
 * All integers are little-endian (host and guest are the same machine). When the agent first
 * opens its terminal it sends an unasked PING reply with id 0 ("hello"), so that a host waiting
 * for the boot need not poll, and a host that sees a second hello knows the guest rebooted.
 *
 *   request  := magic "DMQ1" | u32 id | u8 op | u8[3] 0 | u32 timeout_ms | u32 cap | u32 len | len bytes
 *   reply    := magic "DMR1" | u32 id | u8 op | u8 flags | u16 0 | i32 status | u32 outlen
 *               | u32 errlen | outlen bytes | errlen bytes
 *
 * Started with DUMM_AGENT_FD=N in its environment (Dumm's netns guests, where it is the first
 * process of the guest's namespaces) it serves on inherited descriptor N (one end of a socket
 * pair; DUMM_AGENT_KEEP_FD names the other end, which it holds so that the host may come and go)
 * instead of AGENT_TTY, and takes its name from DUMM_UMID.
 *
 * Commands run in shells started ahead of time (see "spares" below). Keep AGENT_TTY and the
 * framing in sync with UmlBackend.AGENT_CONSOLE and AgentChannel.java.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/netlink.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define AGENT_TTY "/dev/tty7"
#define CONSOLE_TTY "/dev/tty1"
#define DEFAULT_INIT "/sbin/init"

#define REQ_MAGIC 0x31514d44u /* "DMQ1" */
#define REP_MAGIC 0x31524d44u /* "DMR1" */
#define HDR_LEN 24
#define MAX_PAYLOAD (1u << 20)
#define MAX_JOBS 64
#define DEFAULT_CAP (4u << 20)
/* After a shell that exited without reporting (exit, set -e, a signal), how long a background
 * child may keep its stdout open before the answer goes out anyway. */
#define GRACE_MS 100

enum { OP_PING = 1, OP_EXEC = 2, OP_SYNC = 3, OP_IFDOWN = 4, OP_RENAME = 5, OP_IFUP = 6, OP_NETLINK = 7 };
enum { F_TIMEDOUT = 1, F_TRUNCATED = 2, F_AGENT_ERROR = 4 };

static const char *const JOB_ENV[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "TERM=dumb", NULL,
};

/* ------------------------------------------------------------------ small helpers */

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t get32(const unsigned char *p) {
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static int buf_add(struct buf *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

static void buf_drop(struct buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static void buf_free(struct buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0) { /* best effort */ }
        close(fd);
    }
}

/* Messages from PID 1 go to the kernel log, which UML copies to the host's console.log. */
static void kmsg(const char *fmt, ...) {
    char line[512];
    int n = snprintf(line, sizeof line, "dumm-init: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd < 0) fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, line, strlen(line)) < 0) { /* nowhere else to report */ }
        close(fd);
    }
}

static __attribute__((noreturn)) void power_off(void) {
    sync();
    reboot(RB_POWER_OFF);
    for (;;) pause();
}

/* ------------------------------------------------------------------ agent */

/*
 * A spare is a /bin/sh started ahead of time, in its own session, blocked reading its script
 * from a pipe. Creating a process costs ~5-10 ms under UML on these hosts (every new mm is a
 * host process, every page fault a ptrace round trip), so spares are made while the agent is
 * idle; a request only writes the command into the pipe and closes it. Each command still
 * gets a fresh shell and process group of its own. The spare reports $? on fd 4 as soon as
 * the script is done, then waits on fd 5 until the reply is on its way: its teardown (another
 * few ms of UML time) then no longer delays the answer.
 */
#define SPARES 2
/* The warm-up before the real script touches the shell's code for builtins, tests, sourcing and
 * redirection while idle: each first touch is a page fault, ~0.1 ms under UML here, and without
 * it an answer took ~1.6 ms inside the guest instead of ~0.5 ms. */
#ifndef SPARE_SCRIPT
#define SPARE_SCRIPT "true; [ x = x ]; . /dev/null; echo $? >/dev/null; " \
                     ". /proc/self/fd/3; echo $? >&4; read _ <&5"
#endif

struct proc {
    pid_t pid;
    int cmd, out, err, st, linger;  /* our ends: script (w), stdout, stderr, status (r), linger (w) */
};

struct job {
    int used;
    uint32_t id;
    uint8_t op;
    struct proc p;
    struct buf script;  /* not yet written into p.cmd */
    size_t script_off;
    struct buf out[2], st;
    uint32_t cap;
    int truncated, timedout, exited, status, have_status;
    int64_t deadline;   /* 0 = none */
    int64_t exited_at;
};

static struct job jobs[MAX_JOBS];
static struct proc spares[SPARES];
static int nspares;
static int64_t last_activity;
#define IDLE_MS 5
#define RETRY_MS 2
static int tty_fd = -1;
static int64_t tty_retry_at;
static struct buf inq, outq;
static size_t outq_off;
static char umid[128] = "?";

static int env_fd(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) return -1;
    char *end;
    long fd = strtol(v, &end, 10);
    return *end || fd < 0 || fd > 1023 ? -1 : (int)fd;
}

static void read_umid(void) {
    const char *env = getenv("DUMM_UMID");
    if (env && *env) {
        snprintf(umid, sizeof umid, "%s", env);
        return;
    }
    char cmdline[4096];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
    close(fd);
    if (n <= 0) return;
    cmdline[n] = 0;
    for (char *tok = strtok(cmdline, " \n"); tok; tok = strtok(NULL, " \n")) {
        if (strncmp(tok, "dumm.umid=", 10) == 0) {
            snprintf(umid, sizeof umid, "%s", tok + 10);
        }
    }
}

static void tty_close(void) {
    if (tty_fd >= 0) close(tty_fd);
    tty_fd = -1;
    inq.len = 0;
    outq.len = 0;  /* replies for a host that hung up are of no use to the next one */
    outq_off = 0;
    tty_retry_at = now_ms() + 100;
}

static void reply(uint32_t id, uint8_t op, uint8_t flags, int32_t status,
                  const void *out, uint32_t outlen, const void *err, uint32_t errlen);
static void hello(void);

static void tty_open(void) {
    int inherited = env_fd("DUMM_AGENT_FD");
    int fd = inherited >= 0 ? fcntl(inherited, F_DUPFD_CLOEXEC, 0)
                            : open(AGENT_TTY, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && inherited >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (fd < 0) {
        tty_retry_at = now_ms() + 100;
        return;
    }
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        /* OPOST with every translation off still passes bytes unchanged, but makes the tty
         * layer call the driver's flush_chars after each write: UML's line driver otherwise
         * only drains its buffer on a host "writable" interrupt, which is sometimes lost,
         * and output then stalls for good (seen with replies over ~64 KiB). */
        t.c_oflag = OPOST;
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(fd, TCSANOW, &t);
        tcflush(fd, TCIFLUSH);  /* whatever arrived before raw mode may be mangled */
    }
    tty_fd = fd;
    static int greeted;
    if (!greeted) {
        greeted = 1;
        hello();
    }
}

static void reply(uint32_t id, uint8_t op, uint8_t flags, int32_t status,
                  const void *out, uint32_t outlen, const void *err, uint32_t errlen) {
    if (tty_fd < 0) return;
    unsigned char h[HDR_LEN] = {0};
    put32(h, REP_MAGIC);
    put32(h + 4, id);
    h[8] = op;
    h[9] = flags;
    put32(h + 12, (uint32_t)status);
    put32(h + 16, outlen);
    put32(h + 20, errlen);
    size_t before = outq.len;
    if (buf_add(&outq, h, sizeof h) || buf_add(&outq, out, outlen) || buf_add(&outq, err, errlen)) {
        outq.len = before; /* out of memory: drop rather than send a torn frame */
    }
}

/* Unasked ping reply with id 0, once per agent process: the host learns at once that we listen. */
static void hello(void) {
    char text[200];
    int n = snprintf(text, sizeof text, "dumm-agent 1 umid=%s pid=%d", umid, (int)getpid());
    reply(0, OP_PING, 0, 0, text, n, NULL, 0);
}

static void reply_error(uint32_t id, uint8_t op, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply(id, op, F_AGENT_ERROR, -1, NULL, 0, msg, strlen(msg));
}

static struct job *free_job(void) {
    for (int i = 0; i < MAX_JOBS; i++) {
        if (!jobs[i].used) return &jobs[i];
    }
    return NULL;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void close_proc(struct proc *p) {
    close_fd(&p->cmd);
    close_fd(&p->out);
    close_fd(&p->err);
    close_fd(&p->st);
    close_fd(&p->linger);
}

/* Linger pipes of answered jobs, closed once their replies are written. */
static int lingering[MAX_JOBS];
static int nlingering;

/*
 * Output pipes still held open by a finished command's background children (a daemon started
 * with '&'). They are read and discarded until EOF rather than closed: closing them would kill
 * such a daemon with SIGPIPE the next time it prints something.
 */
#define MAX_DRAINING 128
static int draining[MAX_DRAINING];
static int ndraining;

static void keep_draining(int *fd) {
    if (*fd < 0) return;
    if (ndraining < MAX_DRAINING) {
        draining[ndraining++] = *fd;
        *fd = -1;
    } else {
        close_fd(fd);
    }
}

static void drain_discard(int i) {
    char chunk[4096];
    ssize_t n;
    while ((n = read(draining[i], chunk, sizeof chunk)) > 0) { /* discarded */ }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(draining[i]);
        draining[i] = draining[--ndraining];
    }
}

/* Runs in a vfork child: only plain system calls, then exec or _exit. */
static __attribute__((noreturn)) void spare_child(const int *fds) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    setsid();
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "0", 1) < 0) { /* keeps the agent's -1000 then */ }
        close(fd);
    }
    if (chdir("/root") != 0 && chdir("/") != 0) { /* cwd stays as it is */ }
    /* fds: null, script read end, stdout, stderr, status write ends, linger read end, all
     * O_CLOEXEC; moved above 10 first so that placing one on 0-5 cannot clobber another;
     * dup2 clears O_CLOEXEC on the copies. */
    static const int target[6] = { 0, 3, 1, 2, 4, 5 };
    int high[6];
    for (int i = 0; i < 6; i++) high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
    for (int i = 0; i < 6; i++) dup2(high[i], target[i]);
    char *argv[] = { "sh", "-c", SPARE_SCRIPT, NULL };
    execve("/bin/sh", argv, (char *const *)JOB_ENV);
    _exit(127);
}

/* vfork in a function of its own, so that no caller's locals live across it. */
static __attribute__((noinline)) pid_t vfork_spare(const int *fds) {
    pid_t pid = vfork();
    if (pid == 0) spare_child(fds);
    return pid;
}

static int spawn_spare(struct proc *p) {
    int pc[2], po[2], pe[2], ps[2], pl[2];
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul < 0) return -1;
    if (pipe2(pc, O_CLOEXEC)) goto fail0;
    if (pipe2(po, O_CLOEXEC)) goto fail1;
    if (pipe2(pe, O_CLOEXEC)) goto fail2;
    if (pipe2(ps, O_CLOEXEC)) goto fail3;
    if (pipe2(pl, O_CLOEXEC)) goto fail4;
    int fds[6] = { nul, pc[0], po[1], pe[1], ps[1], pl[0] };
    pid_t pid = vfork_spare(fds);
    close(nul); close(pc[0]); close(po[1]); close(pe[1]); close(ps[1]); close(pl[0]);
    if (pid < 0) {
        close(pc[1]); close(po[0]); close(pe[0]); close(ps[0]); close(pl[1]);
        return -1;
    }
    p->pid = pid;
    p->cmd = pc[1];
    p->out = po[0];
    p->err = pe[0];
    p->st = ps[0];
    p->linger = pl[1];
    fcntl(p->cmd, F_SETFL, O_NONBLOCK);
    fcntl(p->out, F_SETFL, O_NONBLOCK);
    fcntl(p->err, F_SETFL, O_NONBLOCK);
    fcntl(p->st, F_SETFL, O_NONBLOCK);
    return 0;
fail4: close(ps[0]); close(ps[1]);
fail3: close(pe[0]); close(pe[1]);
fail2: close(po[0]); close(po[1]);
fail1: close(pc[0]); close(pc[1]);
fail0: close(nul);
    return -1;
}

static void start_job(uint32_t id, uint8_t op, uint32_t timeout_ms, uint32_t cap,
                      const char *cmd, uint32_t len) {
    struct job *j = free_job();
    if (!j) {
        reply_error(id, op, "agent busy: %d commands running", MAX_JOBS);
        return;
    }
    struct proc p;
    if (nspares > 0) {
        p = spares[--nspares];
    } else if (spawn_spare(&p) != 0) {
        reply_error(id, op, "starting /bin/sh: %s", strerror(errno));
        return;
    }
    memset(j, 0, sizeof *j);
    j->used = 1;
    j->id = id;
    j->op = op;
    j->p = p;
    j->cap = cap ? cap : DEFAULT_CAP;
    j->deadline = timeout_ms ? now_ms() + timeout_ms : 0;
    if (buf_add(&j->script, cmd, len) || buf_add(&j->script, "\n", 1)) {
        j->truncated = 1;
        close_fd(&j->p.cmd);  /* runs an empty script rather than a cut one */
    }
}

static void finish_job(struct job *j) {
    int status;
    if (j->have_status) status = atoi((char *)j->st.data);
    else if (WIFEXITED(j->status)) status = WEXITSTATUS(j->status);
    else if (WIFSIGNALED(j->status)) status = 128 + WTERMSIG(j->status);
    else status = -1;
    if (j->timedout && !j->have_status) status = 128 + SIGKILL;
    uint8_t flags = (j->timedout ? F_TIMEDOUT : 0) | (j->truncated ? F_TRUNCATED : 0);
    reply(j->id, j->op, flags, status, j->out[0].data, j->out[0].len, j->out[1].data, j->out[1].len);
    lingering[nlingering++] = j->p.linger;  /* released after the reply is written */
    j->p.linger = -1;
    keep_draining(&j->p.out);
    keep_draining(&j->p.err);
    close_proc(&j->p);  /* reap() collects the shell when it is gone */
    buf_free(&j->out[0]);
    buf_free(&j->out[1]);
    buf_free(&j->st);
    buf_free(&j->script);
    j->used = 0;
}

/* Reads what is there; returns 1 at EOF (fd closed). */
static int drain(int *fd, struct buf *b, uint32_t cap, int *truncated) {
    unsigned char chunk[65536];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            size_t room = b->len < cap ? cap - b->len : 0;
            size_t keep = (size_t)n < room ? (size_t)n : room;
            if (keep < (size_t)n) *truncated = 1;
            if (keep && buf_add(b, chunk, keep)) *truncated = 1;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        close_fd(fd);
        return 1;
    }
}

static void drain_status(struct job *j) {
    int ignored = 0;
    drain(&j->p.st, &j->st, 32, &ignored);
    if (!j->have_status && memchr(j->st.data, '\n', j->st.len)) {
        j->st.data[j->st.len - 1] = 0;
        j->have_status = 1;
    }
}

static void feed_script(struct job *j) {
    while (j->p.cmd >= 0 && j->script_off < j->script.len) {
        ssize_t w = write(j->p.cmd, j->script.data + j->script_off, j->script.len - j->script_off);
        if (w > 0) {
            j->script_off += w;
        } else {
            if (w < 0 && errno != EAGAIN && errno != EINTR) close_fd(&j->p.cmd);
            return;
        }
    }
    close_fd(&j->p.cmd);  /* EOF ends the script */
}

/* One socket for the interface ioctls, kept open: under UML every guest system call is a
 * round trip through the host's ptrace, and a link-up is on the user's clock. */
static int if_socket(void) {
    static int s = -1;
    if (s < 0) s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return s;
}

/* Sets or clears IFF_UP with two ioctls: no process in the guest, so ~0.1 ms instead of the
 * 5-30 ms that forking `ip` costs under UML. */
static void op_ifflags(uint32_t id, uint8_t op, const char *name, int up) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    int s = if_socket();
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        reply_error(id, op, "%s: %s", name, strerror(errno));
        return;
    }
    if (up) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
        reply_error(id, op, "%s %s: %s", name, up ? "up" : "down", strerror(errno));
    } else {
        reply(id, op, 0, 0, NULL, 0, NULL, 0);
    }
}

static void op_rename(uint32_t id, const char *from, const char *to) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", from);
    snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", to);
    int s = if_socket();
    if (s < 0 || ioctl(s, SIOCSIFNAME, &ifr) != 0) {
        reply_error(id, OP_RENAME, "rename %s to %s: %s", from, to, strerror(errno));
    } else {
        reply(id, OP_RENAME, 0, 0, NULL, 0, NULL, 0);
    }
}

/* Hands rtnetlink requests the host built (whole nlmsghdr messages, each asking for an ack) to
 * this kernel and answers with every message the kernel sent back, raw: the host parses acks
 * and error texts itself. Used for carrier (operstate) and traffic control on the guest's own
 * interfaces; a qdisc kind not yet loaded makes the kernel run modprobe, which this waits for. */
static void op_netlink(uint32_t id, const unsigned char *msgs, uint32_t len) {
    int expected = 0;
    for (uint32_t pos = 0; pos + sizeof(struct nlmsghdr) <= len; ) {
        const struct nlmsghdr *h = (const void *)(msgs + pos);
        if (h->nlmsg_len < sizeof(struct nlmsghdr) || pos + h->nlmsg_len > len) {
            reply_error(id, OP_NETLINK, "malformed netlink request at byte %u", pos);
            return;
        }
        if (h->nlmsg_flags & NLM_F_ACK) expected++;
        pos += NLMSG_ALIGN(h->nlmsg_len);
    }
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) {
        reply_error(id, OP_NETLINK, "netlink socket: %s", strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    struct timeval tv = {10, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(s, msgs, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        reply_error(id, OP_NETLINK, "netlink send: %s", strerror(errno));
        close(s);
        return;
    }
    struct buf answers = {0};
    static unsigned char rb[65536];
    while (expected > 0) {
        ssize_t n = recv(s, rb, sizeof rb, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            reply_error(id, OP_NETLINK, "netlink receive: %s", strerror(errno));
            free(answers.data);
            close(s);
            return;
        }
        for (ssize_t pos = 0; pos + (ssize_t)sizeof(struct nlmsghdr) <= n; ) {
            const struct nlmsghdr *h = (const void *)(rb + pos);
            if (h->nlmsg_len < sizeof(struct nlmsghdr) || pos + (ssize_t)h->nlmsg_len > n) break;
            if (h->nlmsg_type == NLMSG_ERROR) expected--;
            pos += NLMSG_ALIGN(h->nlmsg_len);
        }
        if (buf_add(&answers, rb, (size_t)n)) break;
    }
    close(s);
    reply(id, OP_NETLINK, 0, 0, answers.data, (uint32_t)answers.len, NULL, 0);
    free(answers.data);
}

static void handle_request(uint32_t id, uint8_t op, uint32_t timeout_ms, uint32_t cap,
                           char *payload, uint32_t len) {
    switch (op) {
    case OP_PING: {
        char text[200];
        int n = snprintf(text, sizeof text, "dumm-agent 1 umid=%s pid=%d", umid, (int)getpid());
        reply(id, op, 0, 0, text, n, NULL, 0);
        break;
    }
    case OP_EXEC:
        if (strlen(payload) != len) {
            reply_error(id, op, "command contains a NUL byte");
        } else {
            start_job(id, op, timeout_ms, cap, payload, len);
        }
        break;
    case OP_SYNC:
        /* inline: a `sync` process would cost more than the flush itself under UML */
        sync();
        reply(id, op, 0, 0, NULL, 0, NULL, 0);
        break;
    case OP_IFDOWN:
        op_ifflags(id, op, payload, 0);
        break;
    case OP_IFUP:
        op_ifflags(id, op, payload, 1);
        break;
    case OP_RENAME: {
        size_t first = strlen(payload);
        if (first >= len) {
            reply_error(id, op, "rename needs two names");
        } else {
            op_rename(id, payload, payload + first + 1);
        }
        break;
    }
    case OP_NETLINK:
        op_netlink(id, (const unsigned char *)payload, len);
        break;
    default:
        reply_error(id, op, "unknown operation %u", op);
    }
}

static void parse_requests(void) {
    while (inq.len >= HDR_LEN) {
        if (get32(inq.data) != REQ_MAGIC) {
            /* resynchronise on the next magic (junk after a host restart) */
            size_t skip = 1;
            while (skip + 4 <= inq.len && get32(inq.data + skip) != REQ_MAGIC) skip++;
            buf_drop(&inq, skip + 4 <= inq.len ? skip : inq.len - 3);
            continue;
        }
        uint32_t len = get32(inq.data + 20);
        if (len > MAX_PAYLOAD) {
            reply_error(get32(inq.data + 4), inq.data[8], "request of %u bytes is too large", len);
            buf_drop(&inq, 4);
            continue;
        }
        if (inq.len < HDR_LEN + len) return;
        /* room for a terminating NUL after the payload, without disturbing the next frame */
        unsigned char zero = 0;
        if (buf_add(&inq, &zero, 1)) return;
        inq.len--;
        char *payload = (char *)inq.data + HDR_LEN;
        char saved = payload[len];
        payload[len] = 0;
        handle_request(get32(inq.data + 4), inq.data[8], get32(inq.data + 12),
                       get32(inq.data + 16), payload, len);
        payload[len] = saved;
        buf_drop(&inq, HDR_LEN + len);
    }
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < MAX_JOBS; i++) {
            if (jobs[i].used && jobs[i].p.pid == pid && !jobs[i].exited) {
                jobs[i].exited = 1;
                jobs[i].status = status;
                jobs[i].exited_at = now_ms();
            }
        }
        for (int i = 0; i < nspares; i++) {
            if (spares[i].pid == pid) { /* a spare died unused (killed from inside the guest) */
                close_proc(&spares[i]);
                spares[i] = spares[--nspares];
                break;
            }
        }
    }
}

/* A job is done once its shell reported $? (or exited) and its output pipes are drained. */
static int job_done(struct job *j, int64_t now) {
    if (j->have_status) return 1;
    if (!j->exited) return 0;
    return (j->p.out < 0 && j->p.err < 0) || now >= j->exited_at + GRACE_MS;
}

enum { W_SIG, W_TTY, W_CMD, W_OUT, W_ERR, W_ST, W_DRAIN };

static __attribute__((noreturn)) void agent_main(void) {
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);
        if (nul > 2) close(nul);
    }
    write_file("/proc/self/oom_score_adj", "-1000");
    /* the inherited channel stays with the agent, not with the commands it runs */
    if (env_fd("DUMM_AGENT_FD") >= 0) fcntl(env_fd("DUMM_AGENT_FD"), F_SETFD, FD_CLOEXEC);
    if (env_fd("DUMM_AGENT_KEEP_FD") >= 0) fcntl(env_fd("DUMM_AGENT_KEEP_FD"), F_SETFD, FD_CLOEXEC);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    read_umid();
    tty_open();

    enum { MAXP = 2 + 4 * MAX_JOBS + MAX_DRAINING };
    struct pollfd pfd[MAXP];
    struct job *owner[MAXP];
    int what[MAXP];
    /* Each system call costs the guest a ptrace round trip through its kernel (~20 µs on
     * this kind of host), so between a request's arrival and its reply the loop makes none of
     * its own: the time of the last request is taken when the loop comes round, and children
     * are reaped only when a SIGCHLD came. */
    int active = 0;
    for (;;) {
        int64_t now = now_ms();
        if (active) {
            last_activity = now;
            active = 0;
        }
        if (tty_fd < 0 && now >= tty_retry_at) tty_open();

        int n = 0, timeout = -1;
        pfd[n].fd = sfd; pfd[n].events = POLLIN; owner[n] = NULL; what[n++] = W_SIG;
        if (tty_fd >= 0) {
            pfd[n].fd = tty_fd;
            pfd[n].events = POLLIN | (outq.len > outq_off ? POLLOUT : 0);
            owner[n] = NULL; what[n++] = W_TTY;
            /* a blocked reply is retried on a timer too: each write kicks UML's flush */
            if (outq.len > outq_off) timeout = RETRY_MS;
        } else {
            timeout = (int)(tty_retry_at > now ? tty_retry_at - now : 0);
        }
        for (int i = 0; i < MAX_JOBS; i++) {
            struct job *j = &jobs[i];
            if (!j->used) continue;
            int fds[4] = { j->p.cmd, j->p.out, j->p.err, j->p.st };
            for (int k = 0; k < 4; k++) {
                if (fds[k] < 0) continue;
                pfd[n].fd = fds[k];
                pfd[n].events = k == 0 ? POLLOUT : POLLIN;
                owner[n] = j; what[n++] = W_CMD + k;
            }
            int64_t due = 0;
            if (!j->exited && j->deadline && !j->timedout) due = j->deadline;
            if (j->exited) due = j->exited_at + GRACE_MS;
            if (due) {
                int wait = (int)(due > now ? due - now : 0);
                if (timeout < 0 || wait < timeout) timeout = wait;
            }
        }
        int drain_base = n, drain_n = ndraining;
        for (int i = 0; i < drain_n; i++) {
            pfd[n].fd = draining[i]; pfd[n].events = POLLIN; owner[n] = NULL; what[n++] = W_DRAIN;
        }
        /* spares are made only when the agent has been idle a little while: spawning blocks
         * the agent for a few ms, which must not land between a request and its answer */
        int busy = 0;
        for (int i = 0; i < MAX_JOBS && !busy; i++) busy = jobs[i].used;
        int refill = nspares < SPARES && !busy && !inq.len && !outq.len;
        if (refill) {
            int64_t due = last_activity + IDLE_MS;
            if (due <= now) {
                if (spawn_spare(&spares[nspares]) == 0) nspares++;
                continue;
            }
            int wait = (int)(due - now);
            if (timeout < 0 || wait < timeout) timeout = wait;
        }

        int ready = poll(pfd, n, timeout);
        if (ready < 0 && errno != EINTR) continue;
        int sigchld = 0;

        for (int p = 0; ready > 0 && p < n; p++) {
            if (!pfd[p].revents) continue;
            struct job *j = owner[p];
            switch (what[p]) {
            case W_SIG: {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) > 0) { /* drained; reap below */ }
                sigchld = 1;
                break;
            }
            case W_TTY:
                if (pfd[p].revents & POLLIN) {
                    unsigned char chunk[65536];
                    ssize_t r = read(tty_fd, chunk, sizeof chunk);
                    if (r > 0) {
                        active = 1;
                        if (buf_add(&inq, chunk, r)) inq.len = 0;
                        parse_requests();
                    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                        tty_close(); /* hung up: the host closed its side */
                        break;
                    }
                } else if (pfd[p].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                    tty_close();
                }
                break;
            case W_CMD: feed_script(j); break;
            case W_OUT: drain(&j->p.out, &j->out[0], j->cap, &j->truncated); break;
            case W_ERR: drain(&j->p.err, &j->out[1], j->cap, &j->truncated); break;
            case W_ST: drain_status(j); break;
            case W_DRAIN: break; /* after the loop: indexes shift when one closes */
            }
        }
        if (ready > 0) {
            for (int i = drain_n - 1; i >= 0; i--) {  /* downwards: a removal moves the last in */
                if (pfd[drain_base + i].revents) drain_discard(i);
            }
        }
        if (sigchld) reap();

        now = -1;
        for (int i = 0; i < MAX_JOBS; i++) {
            struct job *j = &jobs[i];
            if (!j->used) continue;
            if (now < 0) now = now_ms();
            if (j->p.cmd >= 0) feed_script(j);
            if (!j->exited && !j->have_status && j->deadline && !j->timedout && now >= j->deadline) {
                kill(-j->p.pid, SIGKILL);
                j->timedout = 1;
            }
            if (job_done(j, now)) {
                if (j->p.out >= 0) drain(&j->p.out, &j->out[0], j->cap, &j->truncated);
                if (j->p.err >= 0) drain(&j->p.err, &j->out[1], j->cap, &j->truncated);
                finish_job(j);
            }
        }

        while (tty_fd >= 0 && outq.len > outq_off) {
            ssize_t w = write(tty_fd, outq.data + outq_off, outq.len - outq_off);
            if (w > 0) {
                outq_off += w;
            } else {
                if (w < 0 && errno != EAGAIN && errno != EINTR) tty_close();
                break;
            }
        }
        if (outq_off == outq.len) {
            outq.len = outq_off = 0;
        }
        if (outq.len == 0 || tty_fd < 0) {
            while (nlingering > 0) close(lingering[--nlingering]);
        }

    }
}

/* ------------------------------------------------------------------ init wrapper */

static int is_mounted_dir(const char *probe) {
    struct stat st;
    return stat(probe, &st) == 0;
}

static void ensure_mount(const char *probe, const char *dir, const char *type,
                         unsigned long flags, const char *data) {
    if (is_mounted_dir(probe)) return;
    mkdir(dir, 0755);
    if (mount(type, dir, type, flags, data) != 0) {
        kmsg("mounting %s on %s: %s", type, dir, strerror(errno));
    }
}

static pid_t start_agent(void) {
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        execl("/proc/self/exe", "dumm-agent", "agent", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static pid_t start_console_shell(void) {
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        int fd = open(CONSOLE_TTY, O_RDWR);
        if (fd < 0) _exit(1);
        ioctl(fd, TIOCSCTTY, 0);
        dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
        if (fd > 2) close(fd);
        char *argv[] = { "-sh", NULL };
        execve("/bin/sh", argv, (char *const *)JOB_ENV);
        _exit(127);
    }
    return pid;
}

/* PID 1 for a root without an init of its own. */
static __attribute__((noreturn)) void supervise(pid_t agent) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGPWR);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t shell = start_console_shell();
    int64_t shell_started = now_ms();
    for (;;) {
        int sig;
        sigwait(&set, &sig);
        if (sig != SIGCHLD) { /* poweroff, halt, reboot, ctrl-alt-del: all end the guest */
            kill(-1, SIGTERM);
            sleep(1);
            kill(-1, SIGKILL);
            power_off();
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == agent) {
                kmsg("agent exited (status %d), restarting it", status);
                sleep(1);
                agent = start_agent();
            } else if (pid == shell) {
                if (now_ms() - shell_started < 1000) sleep(1);
                shell = start_console_shell();
                shell_started = now_ms();
            }
        }
    }
}

static int looks_executable(const char *path) {
    unsigned char head[4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n >= 4 && memcmp(head, "\177ELF", 4) == 0) return 1;
    return n >= 2 && head[0] == '#' && head[1] == '!';
}

/*
 * Clears a kernel helper path (uevent helper, modprobe) that names no executable in this root,
 * or points it at `instead` where the root has that.
 * The kernel would still try it for every uevent or module request, and under UML each failed
 * attempt builds and tears down an address space, i.e. a host process: a few ms of the
 * guest's only CPU each time, e.g. three per hot-plugged interface. A root that has the helper
 * keeps it; a master that sets its own later (busybox mdev does) still can.
 */
static void clear_missing_helper(const char *sysctl, const char *instead) {
    char path[256];
    int fd = open(sysctl, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, path, sizeof path - 1);
    close(fd);
    if (n <= 0) return;
    path[n] = 0;
    path[strcspn(path, "\n")] = 0;
    if (!path[0] || access(path, X_OK) == 0) return;
    /* A busybox root has its modprobe in /bin: the kernel's module requests (an AF_INET6
     * socket asks for ipv6, a netem qdisc for sch_netem) then load modules by themselves. */
    write_file(sysctl, instead && access(instead, X_OK) == 0 ? instead : "\n");
}

static int init_main(int argc, char **argv) {
    ensure_mount("/proc/self/stat", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    ensure_mount("/sys/kernel", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    ensure_mount(AGENT_TTY, "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    ensure_mount("/dev/pts/ptmx", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                 "gid=5,mode=620,ptmxmode=666");
    clear_missing_helper("/proc/sys/kernel/hotplug", NULL);
    clear_missing_helper("/proc/sys/kernel/modprobe", "/bin/modprobe");
    /* The guest's name is its hostname before its own init runs (which may set it again from
     * /etc/hostname, which Dumm writes into the guest's diff with the same name). */
    read_umid();
    if (strcmp(umid, "?") != 0 && sethostname(umid, strlen(umid)) != 0) {
        kmsg("sethostname %s: %s", umid, strerror(errno));
    }

    if (access("/bin/sh", X_OK) != 0) {
        kmsg("the guest's root has no executable /bin/sh (%s); exec cannot work, powering off",
             strerror(errno));
        power_off();
    }
    const char *init = getenv("dumm_init");
    if (!init || !*init) init = DEFAULT_INIT;
    int have_init = access(init, F_OK) == 0;
    if (have_init && (access(init, X_OK) != 0 || !looks_executable(init))) {
        kmsg("%s is not an executable program; powering off", init);
        power_off();
    }

    pid_t agent = start_agent();
    if (agent < 0) {
        kmsg("cannot start the agent: %s", strerror(errno));
        power_off();
    }
    if (!have_init) {
        kmsg("no %s in this root: running a console shell on %s", init, CONSOLE_TTY);
        supervise(agent);
    }
    unsetenv("dumm_init");
    char **args = calloc(argc + 1, sizeof *args);
    args[0] = (char *)init;
    for (int i = 1; i < argc; i++) args[i] = argv[i];
    execv(init, args);
    kmsg("exec %s: %s; powering off", init, strerror(errno));
    power_off();
    return 1;
}

int main(int argc, char **argv) {
    if (env_fd("DUMM_AGENT_FD") >= 0) agent_main();  /* a netns guest's first process */
    if (getpid() == 1) return init_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "agent") == 0) agent_main();
    fprintf(stderr, "usage: %s agent   (as PID 1 it is the init wrapper)\n", argv[0]);
    return 2;
}
