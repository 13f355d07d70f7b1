/* dumm-agent: the init wrapper the kernel starts as PID 1, and main(). */
#include "agent.h"


int is_mounted_dir(const char *probe) {
    struct stat st;
    return stat(probe, &st) == 0;
}

void ensure_mount(const char *probe, const char *dir, const char *type,
                         unsigned long flags, const char *data) {
    if (is_mounted_dir(probe)) return;
    mkdir(dir, 0755);
    if (mount(type, dir, type, flags, data) != 0) {
        kmsg("mounting %s on %s: %s", type, dir, strerror(errno));
    }
}

pid_t start_agent(void) {
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        execl("/proc/self/exe", "dumm-agent", "agent", (char *)NULL);
        _exit(127);
    }
    return pid;
}

pid_t start_console_shell(void) {
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
__attribute__((noreturn)) void supervise(pid_t agent) {
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

int looks_executable(const char *path) {
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
void clear_missing_helper(const char *sysctl, const char *instead) {
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

int init_main(int argc, char **argv) {
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

