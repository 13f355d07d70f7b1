/*
 * dumm-umljail: runs a UML kernel in a mount namespace of its own whose root holds only what the
 * kernel process needs, so that a guest's hostfs sees nothing else of the host:
 *
 *   dumm-umljail JAIL [--rw PATH]... [--ro PATH]... [--shm-mb N] -- PROGRAM ARG...
 *
 * JAIL is an empty directory; a tmpfs mounted there (in the new namespace only) becomes the
 * root. Each PATH, a directory or a file, appears at the same path inside: --rw bound writable
 * (nosuid, nodev: the guest's root and run directory), --ro bound read-only (the kernel binary,
 * its loader and libraries; device nodes such as /dev/null and /dev/net/tun keep working). /dev/shm is a
 * tmpfs of N MB for the kernel's memory file. The root itself is read-only, there is no /proc
 * (its magic links would lead back to the host's root) and no /sys. Then PROGRAM is exec'd with
 * the process's environment, ASLR setting, session and CPU placement as they were.
 *
 *   dumm-umljail --remount PID PATH
 *
 * gives the jailed kernel PID the mount now at PATH on the host (the host switched a guest's
 * overlay for a template): the new mount goes beneath the old one and the old one is detached,
 * so the guest's path lookups never find the directory empty. Exits 0, or prints why and 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "mount-enter.h"

#define MAX_PATHS 32

static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...) {
    int err = errno;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dumm-umljail: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(err));
    exit(1);
}

/* mkdir -p of the directories above inside/path (inside/path itself not). */
static void parents(const char *inside) {
    char p[4096];
    snprintf(p, sizeof p, "%s", inside);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) fail("mkdir %s", p);
        *s = '/';
    }
}

static void bind_in(const char *jail, const char *path, int ro) {
    struct stat st;
    if (path[0] != '/' || stat(path, &st) != 0) fail("%s (must be an absolute path that exists)", path);
    char inside[4096];
    snprintf(inside, sizeof inside, "%s%s", jail, path);
    parents(inside);
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(inside, 0755) != 0 && errno != EEXIST) fail("mkdir %s", inside);
    } else {
        int fd = open(inside, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) fail("creating %s", inside);
        close(fd);
    }
    if (mount(path, inside, NULL, MS_BIND, NULL) != 0) fail("binding %s", path);
    unsigned long flags = MS_BIND | MS_REMOUNT | (ro ? MS_RDONLY : MS_NOSUID | MS_NODEV);
    if (mount(NULL, inside, NULL, flags, NULL) != 0) fail("making %s %s", inside, ro ? "read-only" : "nosuid,nodev");
}

static int jail_and_exec(int argc, char **argv) {
    const char *jail = argv[1];
    const char *rw[MAX_PATHS], *ro[MAX_PATHS];
    int nrw = 0, nro = 0, shm_mb = 64, prog = -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--rw") == 0 && i + 1 < argc && nrw < MAX_PATHS) {
            rw[nrw++] = argv[++i];
        } else if (strcmp(argv[i], "--ro") == 0 && i + 1 < argc && nro < MAX_PATHS) {
            ro[nro++] = argv[++i];
        } else if (strcmp(argv[i], "--shm-mb") == 0 && i + 1 < argc) {
            shm_mb = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
            prog = i + 1;
            break;
        } else {
            fprintf(stderr, "dumm-umljail: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (prog < 0 || shm_mb <= 0) {
        fprintf(stderr, "dumm-umljail: no PROGRAM after -- (or a bad --shm-mb)\n");
        return 2;
    }
    if (unshare(CLONE_NEWNS) != 0) fail("unshare(CLONE_NEWNS)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("making / private");
    if (mount("tmpfs", jail, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0) fail("mounting the root at %s", jail);
    for (int i = 0; i < nrw; i++) bind_in(jail, rw[i], 0);
    for (int i = 0; i < nro; i++) bind_in(jail, ro[i], 1);
    char shm[4096], opts[64];
    snprintf(shm, sizeof shm, "%s/dev/shm", jail);
    parents(shm);
    if (mkdir(shm, 01777) != 0 && errno != EEXIST) fail("mkdir %s", shm);
    snprintf(opts, sizeof opts, "mode=1777,size=%dm", shm_mb);
    if (mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) fail("mounting %s", shm);
    if (mount(NULL, jail, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) fail("making the root read-only");
    if (chdir(jail) != 0) fail("chdir %s", jail);
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root into %s", jail);
    if (umount2(".", MNT_DETACH) != 0) fail("detaching the host's root");
    if (chdir("/") != 0) fail("chdir /");
    execv(argv[prog], argv + prog);
    fail("exec %s", argv[prog]);
}

static int remount(const char *pid, const char *path) {
    const char *what = NULL;
    int tree = clone_and_enter(pid, path, &what);
    if (tree < 0) fail("%s (process %s, %s)", what, pid, path);
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_BENEATH) == 0) {
        if (umount2(path, MNT_DETACH) != 0) fail("detaching the old mount at %s", path);
        return 0;
    }
    if (errno != EINVAL) fail("attaching the new mount beneath %s", path);
    /* a kernel without mounts beneath (before 6.5): the path is empty for a moment */
    if (umount2(path, MNT_DETACH) != 0) fail("detaching the old mount at %s", path);
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) != 0) fail("attaching %s", path);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--remount") == 0) return remount(argv[2], argv[3]);
    if (argc < 4) {
        fprintf(stderr, "usage: %s JAIL [--rw PATH]... [--ro PATH]... [--shm-mb N] -- PROGRAM ARG...\n"
                        "       %s --remount PID PATH\n", argv[0], argv[0]);
        return 2;
    }
    return jail_and_exec(argc, argv);
}
