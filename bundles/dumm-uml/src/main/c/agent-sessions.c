/* dumm-agent: shell sessions, commands run one after another in one shell (see agent.h). */
#include "agent.h"

struct session sessions[MAX_SESSIONS];
static uint32_t next_sid = 1;

/*
 * The loop a session's shell sources instead of a command (the spare's fd 3). A line of three
 * descriptor numbers of the agent per command; "$?" after each on fd 4. Names start with _dumm
 * so that they are unlikely to meet a command's own.
 */
#define SESSION_LOOP "while read -r _dumm_c _dumm_o _dumm_e <&5; do cd /root 2>/dev/null || cd /; " \
                     ". /proc/%d/fd/$_dumm_c >/proc/%d/fd/$_dumm_o 2>/proc/%d/fd/$_dumm_e; echo \"$?\" >&4; done\n"

static void session_free(struct session *s) {
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
    if (nspares > 0) {
        p = spares[--nspares];
    } else if (spawn_spare(&p) != 0) {
        reply_error(id, OP_SOPEN, "starting /bin/sh: %s", strerror(errno));
        return;
    }
    char loop[512];
    int me = (int)getpid();
    int n = snprintf(loop, sizeof loop, SESSION_LOOP, me, me, me);
    /* fits the empty pipe at once: the write cannot block */
    if (write(p.cmd, loop, n) != n) {
        kill(-p.pid, SIGKILL);
        close_proc(&p);
        reply_error(id, OP_SOPEN, "starting the session's loop: %s", strerror(errno));
        return;
    }
    close_fd(&p.cmd);
    /* the shell's own stdout and stderr carry nothing of the commands' */
    keep_draining(&p.out);
    keep_draining(&p.err);
    memset(s, 0, sizeof *s);
    s->used = 1;
    s->sid = next_sid++;
    s->pid = p.pid;
    s->ctl = p.linger;
    s->st = p.st;
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
    int pc[2], po[2], pe[2];
    if (pipe2(pc, O_CLOEXEC)) goto fail0;
    if (pipe2(po, O_CLOEXEC)) goto fail1;
    if (pipe2(pe, O_CLOEXEC)) goto fail2;
    char line[64];
    int n = snprintf(line, sizeof line, "%d %d %d\n", pc[0], po[1], pe[1]);
    if (write(s->ctl, line, n) != n) goto fail3; /* the shell is gone: its exit is reaped */
    memset(j, 0, sizeof *j);
    j->used = 1;
    j->id = id;
    j->op = OP_SEXEC;
    j->session = s;
    j->p.pid = s->pid;
    j->p.cmd = pc[1];
    j->p.out = po[0];
    j->p.err = pe[0];
    j->p.st = s->st;   /* lent for the command, given back by session_job_done */
    j->p.linger = -1;
    j->hold[0] = pc[0];
    j->hold[1] = po[1];
    j->hold[2] = pe[1];
    s->st = -1;
    s->busy = j;
    fcntl(j->p.cmd, F_SETFL, O_NONBLOCK);
    fcntl(j->p.out, F_SETFL, O_NONBLOCK);
    fcntl(j->p.err, F_SETFL, O_NONBLOCK);
    j->cap = cap ? cap : DEFAULT_CAP;
    j->deadline = timeout_ms ? now_ms() + timeout_ms : 0;
    if (buf_add(&j->script, cmd, clen) || buf_add(&j->script, "\n", 1)) {
        j->truncated = 1;
        close_fd(&j->p.cmd);
    }
    return;
fail3: close(pe[0]); close(pe[1]);
fail2: close(po[0]); close(po[1]);
fail1: close(pc[0]); close(pc[1]);
fail0:
    reply_error(id, OP_SEXEC, "session %u: %s", sid, strerror(errno));
}

/* After a session command's reply: its pipes go, the status pipe goes back, an ended shell ends the session. */
void session_job_done(struct job *j) {
    struct session *s = j->session;
    for (int k = 0; k < 3; k++) close_fd(&j->hold[k]);
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
