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
 * instead of AGENT_TTY, and takes its name from DUMM_UMID; DUMM_CONSOLE_FD names a descriptor it
 * holds for the host (the console pty's master) and keeps from the commands it runs.
 *
 * Commands run in shells started ahead of time (see "spares" below). Keep AGENT_TTY and the
 * framing in sync with UmlBackend.AGENT_CONSOLE and AgentChannel.java.
 */
#include "agent.h"

int64_t last_activity;
int tty_fd = -1;
int64_t tty_retry_at;
struct buf inq, outq;
size_t outq_off;
char umid[128] = "?";


int env_fd(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) return -1;
    char *end;
    long fd = strtol(v, &end, 10);
    return *end || fd < 0 || fd > 1023 ? -1 : (int)fd;
}

void read_umid(void) {
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

void tty_close(void) {
    if (tty_fd >= 0) close(tty_fd);
    tty_fd = -1;
    inq.len = 0;
    outq.len = 0;  /* replies for a host that hung up are of no use to the next one */
    outq_off = 0;
    tty_retry_at = now_ms() + 100;
}


void tty_open(void) {
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

void reply(uint32_t id, uint8_t op, uint8_t flags, int32_t status,
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
void hello(void) {
    char text[200];
    int n = snprintf(text, sizeof text, "dumm-agent 1 umid=%s pid=%d", umid, (int)getpid());
    reply(0, OP_PING, 0, 0, text, n, NULL, 0);
}

void reply_error(uint32_t id, uint8_t op, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply(id, op, F_AGENT_ERROR, -1, NULL, 0, msg, strlen(msg));
}

void parse_requests(void) {
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

enum { W_SIG, W_TTY, W_CMD, W_OUT, W_ERR, W_ST, W_DRAIN };

__attribute__((noreturn)) void agent_main(void) {
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
    if (env_fd("DUMM_CONSOLE_FD") >= 0) fcntl(env_fd("DUMM_CONSOLE_FD"), F_SETFD, FD_CLOEXEC);
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
            sessions_prepare();
        }

    }
}

