/*
 * Shared by the helpers that move a running guest onto a new mount (dumm-umljail --remount,
 * dumm-netns's dumm-nslaunch --reroot): take the mount now at a host path along into the
 * guest's mount namespace.
 */
#ifndef DUMM_MOUNT_ENTER_H
#define DUMM_MOUNT_ENTER_H

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x04
#endif
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x200
#endif

/*
 * Clones the mount at PATH (a detached tree, made in the caller's namespace where PATH is
 * mounted) and enters the mount namespace of process PID (root and working directory become
 * its root). Returns the tree's descriptor, to be attached with move_mount(2); -1 with errno
 * set and *what naming the step that failed.
 */
int clone_and_enter(const char *pid, const char *path, const char **what);

#endif
