/* dumm-agent: spare shells started ahead of time, and the commands (jobs) run in them. */
#include "agent.h"

struct job jobs[MAX_JOBS];
struct proc spares[SPARES];
int nspares;

struct job *free_job(void) {
    for (int i = 0; i < MAX_JOBS; i++) {
        if (!jobs[i].used) return &jobs[i];
    }
    return NULL;
}

void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

void close_proc(struct proc *p) {
    close_fd(&p->cmd);
    close_fd(&p->out);
    close_fd(&p->err);
    close_fd(&p->st);
    close_fd(&p->linger);
}

/* Linger pipes of answered jobs, closed once their replies are written. */
int lingering[MAX_JOBS];
int nlingering;

/*
 * Output pipes still held open by a finished command's background children (a daemon started
 * with '&'). They are read and discarded until EOF rather than closed: closing them would kill
 * such a daemon with SIGPIPE the next time it prints something.
 */
int draining[MAX_DRAINING];
int ndraining;

void keep_draining(int *fd) {
    if (*fd < 0) return;
    if (ndraining < MAX_DRAINING) {
        draining[ndraining++] = *fd;
        *fd = -1;
    } else {
        close_fd(fd);
    }
}

void drain_discard(int i) {
    char chunk[4096];
    ssize_t n;
    while ((n = read(draining[i], chunk, sizeof chunk)) > 0) { /* discarded */ }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(draining[i]);
        draining[i] = draining[--ndraining];
    }
}

/* Runs in a vfork child: only plain system calls, then exec or _exit. */
__attribute__((noreturn)) void spare_child(const int *fds) {
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
__attribute__((noinline)) pid_t vfork_spare(const int *fds) {
    pid_t pid = vfork();
    if (pid == 0) spare_child(fds);
    return pid;
}

int spawn_spare(struct proc *p) {
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

/* A spare shell for request id: one made ahead, else a new one; on failure the error is the reply. */
int take_spare(uint32_t id, uint8_t op, struct proc *p) {
    if (nspares > 0) {
        *p = spares[--nspares];
        return 0;
    }
    if (spawn_spare(p) != 0) {
        reply_error(id, op, "starting /bin/sh: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void start_job(uint32_t id, uint8_t op, uint32_t timeout_ms, uint32_t cap,
                      const char *cmd, uint32_t len) {
    struct job *j = free_job();
    if (!j) {
        reply_error(id, op, "agent busy: %d commands running", MAX_JOBS);
        return;
    }
    struct proc p;
    if (take_spare(id, op, &p) != 0) return;
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

void finish_job(struct job *j) {
    int status;
    if (j->have_status) status = atoi((char *)j->st.data);
    else if (WIFEXITED(j->status)) status = WEXITSTATUS(j->status);
    else if (WIFSIGNALED(j->status)) status = 128 + WTERMSIG(j->status);
    else status = -1;
    if (j->timedout && !j->have_status) status = 128 + SIGKILL;
    uint8_t flags = (j->timedout ? F_TIMEDOUT : 0) | (j->truncated ? F_TRUNCATED : 0);
    reply(j->id, j->op, flags, status, j->out[0].data, j->out[0].len, j->out[1].data, j->out[1].len);
    if (j->p.linger >= 0) lingering[nlingering++] = j->p.linger;  /* released after the reply is written */
    j->p.linger = -1;
    keep_draining(&j->p.out);
    keep_draining(&j->p.err);
    if (j->session) session_job_done(j);  /* before close_proc: the session keeps its status pipe */
    close_proc(&j->p);  /* reap() collects the shell when it is gone */
    buf_free(&j->out[0]);
    buf_free(&j->out[1]);
    buf_free(&j->st);
    buf_free(&j->script);
    j->used = 0;
}

/* Reads what is there; returns 1 at EOF (fd closed). */
int drain(int *fd, struct buf *b, uint32_t cap, int *truncated) {
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

void drain_status(struct job *j) {
    int ignored = 0;
    drain(&j->p.st, &j->st, 32, &ignored);
    if (!j->have_status && memchr(j->st.data, '\n', j->st.len)) {
        j->st.data[j->st.len - 1] = 0;
        j->have_status = 1;
    }
}

void feed_script(struct job *j) {
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

void reap(void) {
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
        session_reaped(pid);
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
int job_done(struct job *j, int64_t now) {
    if (j->have_status) return 1;
    if (!j->exited) return 0;
    return (j->p.out < 0 && j->p.err < 0) || now >= j->exited_at + GRACE_MS;
}

