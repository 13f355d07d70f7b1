/*
 * dumm-nslaunch: starts one Dumm netns guest and exits.
 *
 *   dumm-nslaunch NAME ROOT [-c CGROUP_DIR]... -- INIT
 *
 * The guest's first process gets new pid, mount, uts, ipc and network namespaces and its own
 * session; it joins each CGROUP_DIR (written by this launcher before the guest runs anything),
 * makes ROOT (the guest's mounted overlay) its root with its own /proc, /sys, /dev (a tmpfs with
 * the usual nodes), /dev/pts and /dev/shm, sets the hostname to NAME,
 * brings lo up and execs INIT (Dumm's agent) with DUMM_AGENT_FD=10 and DUMM_AGENT_KEEP_FD=11:
 * the two ends of a socket pair the host reaches with pidfd_getfd(2).
 *
 * Before that it opens the guest's console: a pty of the guest's own /dev/pts whose master it
 * leaves at CONSOLE_FD (12) in the first process (DUMM_CONSOLE_FD tells the agent to keep it from
 * the commands it runs), for the host to take with pidfd_getfd(2). A small keeper process (the
 * guest's pid 2) holds the terminal end; when a line is typed there it starts a login shell on it,
 * in a session of its own, and after that shell ends it waits for the next line.
 *
 * On success it prints the guest's pid (in the host's pid namespace) and exits 0, once the guest
 * has exec'd INIT; on failure it prints why on stderr and exits 1, and the guest is gone. The
 * guest is not its child's child: its parent (this launcher) exits, so it belongs to no JVM.
 *
 *   dumm-nslaunch --reroot PID ROOT
 *
 * gives the running guest whose first process is PID the root now mounted at ROOT on the host (a
 * template was loaded or unloaded: the host switched the overlay there, while the guest's root is
 * a copy of the old mount in its own namespace). Every process of the guest whose root or working
 * directory is the guest's root moves to the new one (pivot_root(2) does that); /proc, /sys and
 * /dev with what is mounted below them move along. Exits 0 on success; on failure it prints why
 * and the guest keeps the root it had.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mount-enter.h"

#define AGENT_FD 10
#define KEEP_FD 11
#define CONSOLE_FD 12
#define MAX_CGROUPS 4

static int report_fd = -1; /* close-on-exec pipe to the launcher: a message here is a failure */

static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 32, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n > (int)sizeof msg - 32) n = sizeof msg - 32;
    n += snprintf(msg + n, sizeof msg - n, ": %s", strerror(errno));
    if (report_fd >= 0) {
        if (write(report_fd, msg, n) < 0) { /* the launcher sees EOF and no exec: still a failure */ }
    } else {
        fprintf(stderr, "dumm-nslaunch: %s\n", msg);
    }
    _exit(1);
}

static void path_in(char *out, size_t len, const char *root, const char *rel) {
    snprintf(out, len, "%s/%s", root, rel);
}

static void mount_at(const char *root, const char *rel, const char *type, unsigned long flags, const char *data) {
    char p[4096];
    path_in(p, sizeof p, root, rel);
    mkdir(p, 0755); /* the master usually has it; an overlay makes it in the guest's diff otherwise */
    if (mount(type, p, type, flags, data) != 0) fail("mounting %s on %s", type, p);
}

static void node(const char *root, const char *rel, unsigned maj, unsigned min) {
    char p[4096];
    path_in(p, sizeof p, root, rel);
    if (mknod(p, S_IFCHR | 0666, makedev(maj, min)) != 0) fail("mknod %s", p);
    chmod(p, 0666); /* whatever the umask */
}

static void link_at(const char *root, const char *rel, const char *target) {
    char p[4096];
    path_in(p, sizeof p, root, rel);
    if (symlink(target, p) != 0) fail("symlink %s", p);
}

static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail("socket for lo");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail("SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail("SIOCSIFFLAGS lo");
    close(s);
}

static void enter_root(const char *root) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("making / private");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) fail("binding %s", root);
    mount_at(root, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_at(root, "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_at(root, "dev", "tmpfs", MS_NOSUID, "mode=0755,size=4m");
    node(root, "dev/null", 1, 3);
    node(root, "dev/zero", 1, 5);
    node(root, "dev/full", 1, 7);
    node(root, "dev/random", 1, 8);
    node(root, "dev/urandom", 1, 9);
    node(root, "dev/tty", 5, 0);
    mount_at(root, "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,gid=5,mode=620,ptmxmode=666");
    link_at(root, "dev/ptmx", "pts/ptmx");
    mount_at(root, "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=16m");
    link_at(root, "dev/fd", "/proc/self/fd");
    link_at(root, "dev/stdin", "/proc/self/fd/0");
    link_at(root, "dev/stdout", "/proc/self/fd/1");
    link_at(root, "dev/stderr", "/proc/self/fd/2");
    if (chdir(root) != 0) fail("chdir %s", root);
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root into %s", root);
    if (umount2(".", MNT_DETACH) != 0) fail("detaching the host's root");
    if (chdir("/") != 0) fail("chdir /");
}

/* The mounts of a guest that are its own, not its root's: moved to a new root as they are. */
static const char *const GUEST_MOUNTS[] = { "proc", "sys", "dev" };
#define N_GUEST_MOUNTS (sizeof GUEST_MOUNTS / sizeof GUEST_MOUNTS[0])


/* Undoes a reroot that did not reach pivot_root: mounts moved back, the new tree detached. */
static void reroot_undo(int tree, size_t moved) {
    int err = errno;
    for (size_t i = moved; i-- > 0;) {
        char to[16];
        snprintf(to, sizeof to, "/%s", GUEST_MOUNTS[i]);
        if (syscall(SYS_move_mount, tree, GUEST_MOUNTS[i], AT_FDCWD, to, 0) != 0) {
            fprintf(stderr, "dumm-nslaunch: moving %s back: %s\n", to, strerror(errno));
        }
    }
    if (fchdir(tree) != 0 || umount2(".", MNT_DETACH) != 0) {
        fprintf(stderr, "dumm-nslaunch: detaching the new root again: %s\n", strerror(errno));
    }
    errno = err;
}

static int reroot(const char *pid, const char *root) {
    /* cloned in the host's namespace, where ROOT is mounted: a detached tree, attached below;
     * after it root and working directory are the guest's root */
    const char *what = NULL;
    int tree = clone_and_enter(pid, root, &what);
    if (tree < 0) fail("%s (guest process %s, %s)", what, pid, root);
    /* stacked on the guest's root: invisible to paths from it until the pivot below */
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0) fail("attaching %s", root);
    /* a clone of the host's mount may be shared with it: private, as pivot_root wants it */
    if (fchdir(tree) != 0 || mount(NULL, ".", NULL, MS_PRIVATE, NULL) != 0) {
        reroot_undo(tree, 0);
        fail("making the new root private");
    }
    size_t moved = 0;
    for (; moved < N_GUEST_MOUNTS; moved++) {
        char from[16];
        snprintf(from, sizeof from, "/%s", GUEST_MOUNTS[moved]);
        mkdirat(tree, GUEST_MOUNTS[moved], 0755); /* made by the first start; a new upper layer shows it */
        if (syscall(SYS_move_mount, AT_FDCWD, from, tree, GUEST_MOUNTS[moved], 0) != 0) {
            reroot_undo(tree, moved);
            fail("moving %s to the new root", from);
        }
    }
    if (fchdir(tree) != 0 || syscall(SYS_pivot_root, ".", ".") != 0) {
        reroot_undo(tree, moved);
        fail("pivot_root into the new root");
    }
    /* the old root is stacked on the new one now; processes still inside it keep it alive */
    if (umount2(".", MNT_DETACH) != 0) fail("detaching the old root");
    return 0;
}

static const char *SHELL_ENV[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=linux",
    "SHELL=/bin/sh", "USER=root", "LOGNAME=root", NULL,
};

static void say(int fd, const char *text) {
    if (write(fd, text, strlen(text)) < 0) { /* nobody to tell */ }
}

/* The keeper: waits for a typed line on the console's terminal, then runs a login shell there. */
static __attribute__((noreturn)) void console_keeper(const char *tty) {
    prctl(PR_SET_NAME, "dumm-console", 0, 0, 0);
    /* nothing of the launcher's: above all not the report pipe, whose end of file tells the
     * launcher that the first process has exec'd (a keeper holding it would stall every start) */
    for (int fd = 3; fd < 1024; fd++) close(fd);
    int nul = open("/dev/null", O_RDWR); /* nor its standard streams (the host reads them to their end) */
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        if (nul > 2) close(nul);
    }
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
    int t = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t < 0) _exit(1);
    for (;;) {
        say(t, "\r\nPlease press Enter to activate this console.\r\n");
        struct pollfd p = { .fd = t, .events = POLLIN };
        while (poll(&p, 1, -1) <= 0 || !(p.revents & POLLIN)) {
            if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) sleep(1);
        }
        pid_t sh = fork();
        if (sh == 0) {
            signal(SIGHUP, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            signal(SIGQUIT, SIG_DFL);
            signal(SIGTSTP, SIG_DFL);
            setsid();
            int c = open(tty, O_RDWR); /* a session leader's first terminal: its controlling tty */
            if (c < 0) _exit(127);
            ioctl(c, TIOCSCTTY, 0);
            dup2(c, 0);
            dup2(c, 1);
            dup2(c, 2);
            if (c > 2) close(c);
            if (chdir("/root") != 0 && chdir("/") != 0) { /* stays where it is */ }
            char *args[] = { "-sh", NULL };
            execve("/bin/sh", args, (char **)SHELL_ENV);
            say(2, "dumm-console: no /bin/sh in this guest\r\n");
            _exit(127);
        }
        if (sh > 0) {
            while (waitpid(sh, NULL, 0) < 0 && errno == EINTR) { }
        }
        sleep(1); /* not faster than that, whatever the shell does */
    }
}

/* Opens the guest's console pty: master at CONSOLE_FD, the keeper on its terminal end. */
static void console_open(void) {
    int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
    if (m < 0) fail("opening the console's /dev/pts/ptmx");
    int unlock = 0, n = -1;
    if (ioctl(m, TIOCSPTLCK, &unlock) != 0 || ioctl(m, TIOCGPTN, &n) != 0) fail("unlocking the console pty");
    if (dup2(m, CONSOLE_FD) < 0) fail("placing the console");
    close(m);
    char tty[64];
    snprintf(tty, sizeof tty, "/dev/pts/%d", n);
    pid_t k = fork();
    if (k < 0) fail("fork of the console keeper");
    if (k == 0) console_keeper(tty);
}

int main(int argc, char **argv) {
    const char *cgroups[MAX_CGROUPS];
    int ncgroups = 0;
    if (argc == 4 && strcmp(argv[1], "--reroot") == 0) {
        return reroot(argv[2], argv[3]);
    }
    if (argc < 5) {
        fprintf(stderr, "usage: %s NAME ROOT [-c CGROUP_DIR]... -- INIT\n       %s --reroot PID ROOT\n", argv[0],
                argv[0]);
        return 2;
    }
    const char *name = argv[1], *root = argv[2], *init = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && ncgroups < MAX_CGROUPS) {
            cgroups[ncgroups++] = argv[++i];
        } else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
            init = argv[i + 1];
            break;
        } else {
            fprintf(stderr, "dumm-nslaunch: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!init) {
        fprintf(stderr, "dumm-nslaunch: no INIT after --\n");
        return 2;
    }

    int sv[2], go[2], report[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) fail("socketpair");
    if (dup2(sv[0], AGENT_FD) < 0 || dup2(sv[1], KEEP_FD) < 0) fail("placing the agent's channel");
    close(sv[0]);
    close(sv[1]);
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) fail("pipe");

    if (unshare(CLONE_NEWPID) != 0) fail("unshare(CLONE_NEWPID)");
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        close(go[1]);
        close(report[0]);
        report_fd = report[1];
        char c;
        if (read(go[0], &c, 1) != 1) _exit(1); /* the launcher failed to place it in its cgroups */
        close(go[0]);
        if (setsid() < 0) fail("setsid");
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) != 0) fail("unshare");
        enter_root(root);
        if (sethostname(name, strlen(name)) != 0) fail("sethostname");
        loopback_up();
        console_open();
        int nul = open("/dev/null", O_RDWR);
        if (nul < 0) fail("/dev/null");
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        if (nul > 2) close(nul);
        char umid[160];
        snprintf(umid, sizeof umid, "DUMM_UMID=%s", name);
        char *env[] = {
            "DUMM_AGENT_FD=10", "DUMM_AGENT_KEEP_FD=11", "DUMM_CONSOLE_FD=12", umid,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", NULL,
        };
        char *args[] = { "dumm-agent", NULL };
        execve(init, args, env);
        fail("exec %s", init);
    }
    close(go[0]);
    close(report[1]);
    close(AGENT_FD);
    close(KEEP_FD);
    for (int i = 0; i < ncgroups; i++) {
        char p[4096], num[32];
        snprintf(p, sizeof p, "%s/cgroup.procs", cgroups[i]);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        int n = snprintf(num, sizeof num, "%d", (int)pid);
        if (fd < 0 || write(fd, num, n) != n) {
            int err = errno;
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            errno = err;
            fail("joining cgroup %s", cgroups[i]);
        }
        close(fd);
    }
    if (write(go[1], "g", 1) != 1) fail("starting the guest");
    close(go[1]);
    char msg[512];
    ssize_t n = read(report[0], msg, sizeof msg - 1);
    if (n > 0) {
        msg[n] = 0;
        waitpid(pid, NULL, 0);
        fprintf(stderr, "dumm-nslaunch: guest %s: %s\n", name, msg);
        return 1;
    }
    if (waitpid(pid, NULL, WNOHANG) != 0) { /* gone without a word: it never got to INIT */
        fprintf(stderr, "dumm-nslaunch: guest %s ended before it started its agent\n", name);
        return 1;
    }
    printf("%d\n", (int)pid);
    return 0;
}
