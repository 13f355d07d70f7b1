/* dumm-agent: shell sessions, commands run one after another in one shell (see agent.h). */
#include "agent.h"

struct session sessions[MAX_SESSIONS];
static uint32_t next_sid = 1;

/*
 * The loop a session's shell sources instead of a command (the spare's fd 3). An empty line per
 * command: its script, stdout and stderr are the agent's descriptors at this session's fixed
 * numbers (a line of numbers would be read a byte per system call); "$?" after each on the
 * shell's own stdout, which the session reads as its status pipe. Every redirection and read is
 * system calls, each a ptrace round trip under UML, so the loop has only those it needs (a
 * missing /root complains on the shell's stderr, which is drained). The name _dumm_l is unlikely
 * to meet a command's own.
 */
#define SESSION_LOOP "while read -r _dumm_l <&5; do cd /root || cd /; " \
                     ". /proc/%d/fd/%d >/proc/%d/fd/%d 2>/proc/%d/fd/%d; echo \"$?\"; done\n"

static int session_index(const struct session *s) {
    return (int)(s - sessions);
}

/* Closes the next command's pipes, made or half made. */
static void unprepare(struct session *s) {
    int base = SESSION_FD_BASE + 3 * session_index(s);
    for (int k = 0; k < 3; k++) {
        close_fd(&s->mine[k]);
        if (s->held & (1 << k)) close(base + k);
    }
    s->held = 0;
    s->ready = 0;
}

/* Makes the next command's pipes: the shell's ends at the session's fixed numbers. */
static int prepare(struct session *s) {
    int base = SESSION_FD_BASE + 3 * session_index(s);
    for (int k = 0; k < 3; k++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC)) goto fail;
        int theirs = k == 0 ? fds[0] : fds[1];
        s->mine[k] = k == 0 ? fds[1] : fds[0];
        if (dup3(theirs, base + k, O_CLOEXEC) < 0) {
            close(theirs);
            goto fail;
        }
        close(theirs);
        s->held |= 1 << k;
        fcntl(s->mine[k], F_SETFL, O_NONBLOCK);
    }
    s->ready = 1;
    return 0;
fail:
    unprepare(s);
    return -1;
}

/* Between requests (the agent has nothing to write): the pipes of each idle session's next command. */
void sessions_prepare(void) {
    for (int i = 0; i < MAX_SESSIONS; i++) {
        struct session *s = &sessions[i];
        if (s->used && !s->busy && !s->ready) prepare(s);
    }
}

static void session_free(struct session *s) {
    unprepare(s);
    close_fd(&s->ctl);
    close_fd(&s->st);
    s->used = 0;
    s->busy = NULL;
}

static struct session *session_find(uint32_t sid) {
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (sessions[i].used && sessions[i].sid == sid) return &sessions[i];
    }
    return NULL;
}

/* Sessions a host forgot (it went away while holding them) end after a long idle time. */
static void expire_idle(int64_t now) {
    for (int i = 0; i < MAX_SESSIONS; i++) {
        struct session *s = &sessions[i];
        if (s->used && !s->busy && now - s->last_used > SESSION_IDLE_MS) session_free(s);
    }
}

void op_session_open(uint32_t id) {
    int64_t now = now_ms();
    expire_idle(now);
    struct session *s = NULL;
    for (int i = 0; i < MAX_SESSIONS && !s; i++) {
        if (!sessions[i].used) s = &sessions[i];
    }
    if (!s) {
        reply_error(id, OP_SOPEN, "%d shell sessions are open already", MAX_SESSIONS);
        return;
    }
    struct proc p;
    if (take_spare(id, OP_SOPEN, &p) != 0) return;
    char loop[512];
    int me = (int)getpid(), base = SESSION_FD_BASE + 3 * session_index(s);
    int n = snprintf(loop, sizeof loop, SESSION_LOOP, me, base, me, base + 1, me, base + 2);
    /* fits the empty pipe at once: the write cannot block */
    if (write(p.cmd, loop, n) != n) {
        kill(-p.pid, SIGKILL);
        close_proc(&p);
        reply_error(id, OP_SOPEN, "starting the session's loop: %s", strerror(errno));
        return;
    }
    close_fd(&p.cmd);
    /* the shell's own stdout carries the statuses; its stderr and the spare's status pipe nothing */
    keep_draining(&p.err);
    keep_draining(&p.st);
    memset(s, 0, sizeof *s);
    s->used = 1;
    s->mine[0] = s->mine[1] = s->mine[2] = -1;
    s->sid = next_sid++;
    s->pid = p.pid;
    s->ctl = p.linger;
    s->st = p.out;
    s->last_used = now;
    reply(id, OP_SOPEN, 0, (int32_t)s->sid, NULL, 0, NULL, 0);
}

void op_session_exec(uint32_t id, uint32_t timeout_ms, uint32_t cap, const char *payload, uint32_t len) {
    if (len < 4) {
        reply_error(id, OP_SEXEC, "session command without a session");
        return;
    }
    uint32_t sid = get32((const unsigned char *)payload);
    const char *cmd = payload + 4;
    uint32_t clen = len - 4;
    if (strlen(cmd) != clen) {
        reply_error(id, OP_SEXEC, "command contains a NUL byte");
        return;
    }
    struct session *s = session_find(sid);
    if (!s) {
        /* status -2: the command did not run, the host may open a new session and retry */
        reply(id, OP_SEXEC, F_AGENT_ERROR, -2, NULL, 0, "no such session", 15);
        return;
    }
    if (s->busy) {
        reply_error(id, OP_SEXEC, "session %u runs a command already", sid);
        return;
    }
    struct job *j = free_job();
    if (!j) {
        reply_error(id, OP_SEXEC, "agent busy: %d commands running", MAX_JOBS);
        return;
    }
    if (!s->ready && prepare(s) != 0) {
        reply_error(id, OP_SEXEC, "session %u: %s", sid, strerror(errno));
        return;
    }
    if (write(s->ctl, "\n", 1) != 1) { /* the shell is gone: its exit is reaped */
        reply_error(id, OP_SEXEC, "session %u: %s", sid, strerror(errno));
        return;
    }
    memset(j, 0, sizeof *j);
    j->used = 1;
    j->id = id;
    j->op = OP_SEXEC;
    j->session = s;
    j->p.pid = s->pid;
    j->p.cmd = s->mine[0];
    j->p.out = s->mine[1];
    j->p.err = s->mine[2];
    j->p.st = s->st;   /* lent for the command, given back by session_job_done */
    j->p.linger = -1;
    s->mine[0] = s->mine[1] = s->mine[2] = -1;
    s->ready = 0;      /* the shell's ends stay at their numbers until the command is done */
    s->st = -1;
    s->busy = j;
    j->cap = cap ? cap : DEFAULT_CAP;
    j->deadline = timeout_ms ? now_ms() + timeout_ms : 0;
    if (buf_add(&j->script, cmd, clen) || buf_add(&j->script, "\n", 1)) {
        j->truncated = 1;
        close_fd(&j->p.cmd);
    }
}

/* After a session command's reply: its pipes go, the status pipe goes back, an ended shell ends the session. */
void session_job_done(struct job *j) {
    struct session *s = j->session;
    unprepare(s); /* the shell's ends of this command's pipes */
    s->st = j->p.st;
    j->p.st = -1;
    s->busy = NULL;
    s->last_used = now_ms();
    if (j->exited || j->timedout) session_free(s);
}

void op_session_close(uint32_t id, const char *payload, uint32_t len) {
    struct session *s = len >= 4 ? session_find(get32((const unsigned char *)payload)) : NULL;
    if (!s) {
        reply(id, OP_SCLOSE, 0, -2, NULL, 0, NULL, 0);
    } else if (s->busy) {
        reply_error(id, OP_SCLOSE, "session %u runs a command", s->sid);
    } else {
        session_free(s); /* the loop reads EOF and the shell ends; what it started in the background stays */
        reply(id, OP_SCLOSE, 0, 0, NULL, 0, NULL, 0);
    }
}

/* A session's shell ended while no command ran in it (killed inside the guest). */
void session_reaped(pid_t pid) {
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (sessions[i].used && sessions[i].pid == pid && !sessions[i].busy) session_free(&sessions[i]);
    }
}
