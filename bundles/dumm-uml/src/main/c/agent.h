/*
 * Declarations shared by the parts of dumm-agent (the init wrapper and exec agent of Dumm's
 * guests; what it does and its wire format are described in dumm-agent.c):
 *   dumm-agent.c  the agent's terminal, framing, requests and main loop
 *   agent-jobs.c  spare shells and the commands running in them
 *   agent-sessions.c  shell sessions: commands run one after another in one shell
 *   agent-ops.c   interface operations and netlink requests handed to the guest's kernel
 *   agent-init.c  the init wrapper (PID 1) and main()
 *   agent-util.c  small helpers
 */
#ifndef DUMM_AGENT_H
#define DUMM_AGENT_H
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

enum { OP_PING = 1, OP_EXEC = 2, OP_SYNC = 3, OP_IFDOWN = 4, OP_RENAME = 5, OP_IFUP = 6, OP_NETLINK = 7,
       OP_SOPEN = 8, OP_SEXEC = 9, OP_SCLOSE = 10 };
enum { F_TIMEDOUT = 1, F_TRUNCATED = 2, F_AGENT_ERROR = 4 };

extern const char *const JOB_ENV[];

struct buf {
    unsigned char *data;
    size_t len, cap;
};

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

struct session;

struct job {
    int used;
    struct session *session; /* the shell session it runs in, or NULL for a shell of its own */
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

#define IDLE_MS 5
#define RETRY_MS 2

/*
 * A shell session (OP_SOPEN): a spare shell that runs a loop instead of one script. For each
 * command the agent makes fresh pipes (script, stdout, stderr) and writes their descriptor
 * numbers as a line into the session's control pipe; the shell opens them through
 * /proc/AGENT/fd/N, sources the script with its output there and reports $? on its status pipe.
 * No process is made per command, so a builtin costs no fork (what makes bursts slow under UML),
 * and commands share the shell's variables and functions; the working directory is reset to
 * /root before each. One command at a time; a timeout or an exit ends the session.
 */
#define MAX_SESSIONS 8
#define SESSION_IDLE_MS (10 * 60 * 1000)
#define SESSION_FD_BASE 900 /* session k's shell opens the agent's fds 900+3k..902+3k (script, out, err) */
struct session {
    int used;
    uint32_t sid;
    pid_t pid;
    int ctl;   /* write end of the loop's control pipe (its fd 5) */
    int st;    /* read end of its stdout, where it reports statuses; lent to the running job */
    int ready; /* the next command's pipes are made (made ahead, off the request's path) */
    int mine[3]; /* the agent's ends of them: script (w), out (r), err (r) */
    int held;    /* bit k: the shell's end k is open at its fixed number */
    struct job *busy;
    int64_t last_used;
};
void sessions_prepare(void);
extern struct session sessions[MAX_SESSIONS];

extern struct job jobs[MAX_JOBS];
extern struct proc spares[SPARES];
extern int nspares;
extern int64_t last_activity;
extern int tty_fd;
extern int64_t tty_retry_at;
extern struct buf inq, outq;
extern size_t outq_off;
extern char umid[128];
extern int lingering[MAX_JOBS];
extern int nlingering;
#define MAX_DRAINING 128
extern int draining[MAX_DRAINING];
extern int ndraining;

int64_t now_ms(void);
void put32(unsigned char *p, uint32_t v);
uint32_t get32(const unsigned char *p);
int buf_add(struct buf *b, const void *src, size_t n);
void buf_drop(struct buf *b, size_t n);
void buf_free(struct buf *b);
void write_file(const char *path, const char *text);
void kmsg(const char *fmt, ...);
__attribute__((noreturn)) void power_off(void);
int env_fd(const char *name);
void read_umid(void);
void tty_close(void);
void tty_open(void);
void reply(uint32_t id, uint8_t op, uint8_t flags, int32_t status,
                  const void *out, uint32_t outlen, const void *err, uint32_t errlen);
void hello(void);
void reply_error(uint32_t id, uint8_t op, const char *fmt, ...);
void parse_requests(void);
__attribute__((noreturn)) void agent_main(void);
struct job *free_job(void);
void close_fd(int *fd);
void close_proc(struct proc *p);
void keep_draining(int *fd);
void drain_discard(int i);
__attribute__((noreturn)) void spare_child(const int *fds);
pid_t vfork_spare(const int *fds);
int spawn_spare(struct proc *p);
int take_spare(uint32_t id, uint8_t op, struct proc *p);
void start_job(uint32_t id, uint8_t op, uint32_t timeout_ms, uint32_t cap,
                      const char *cmd, uint32_t len);
void finish_job(struct job *j);
void op_session_open(uint32_t id);
void op_session_exec(uint32_t id, uint32_t timeout_ms, uint32_t cap, const char *payload, uint32_t len);
void op_session_close(uint32_t id, const char *payload, uint32_t len);
void session_job_done(struct job *j);
void session_reaped(pid_t pid);
int drain(int *fd, struct buf *b, uint32_t cap, int *truncated);
void drain_status(struct job *j);
void feed_script(struct job *j);
void reap(void);
int job_done(struct job *j, int64_t now);
int if_socket(void);
void op_ifflags(uint32_t id, uint8_t op, const char *name, int up);
void op_rename(uint32_t id, const char *from, const char *to);
void op_netlink(uint32_t id, const unsigned char *msgs, uint32_t len);
void handle_request(uint32_t id, uint8_t op, uint32_t timeout_ms, uint32_t cap,
                           char *payload, uint32_t len);
int is_mounted_dir(const char *probe);
void ensure_mount(const char *probe, const char *dir, const char *type,
                         unsigned long flags, const char *data);
pid_t start_agent(void);
pid_t start_console_shell(void);
__attribute__((noreturn)) void supervise(pid_t agent);
int looks_executable(const char *path);
void clear_missing_helper(const char *sysctl, const char *instead);
int init_main(int argc, char **argv);

#endif
