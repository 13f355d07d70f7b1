/* See mount-enter.h. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mount-enter.h"

int clone_and_enter(const char *pid, const char *path, const char **what) {
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC);
    if (tree < 0) {
        *what = "open_tree";
        return -1;
    }
    char p[64];
    snprintf(p, sizeof p, "/proc/%s/ns/mnt", pid);
    int ns = open(p, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNS) != 0) {
        *what = ns < 0 ? "opening the guest's mount namespace" : "entering the guest's mount namespace";
        close(tree);
        return -1;
    }
    close(ns);
    return tree;
}
