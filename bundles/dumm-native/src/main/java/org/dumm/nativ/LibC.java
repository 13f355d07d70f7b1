package org.dumm.nativ;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions Dumm calls. Public because jnr-ffi implements it with a generated class.
 * Use {@link Native} rather than this directly: it turns -1 returns into exceptions with errno.
 * Add functions at the end; keep one function per line group with its man-page section.
 */
public interface LibC {
    // open(2), close(2), read(2), write(2)
    int open(String path, int flags, int mode);
    int close(int fd);
    @ssize_t long read(int fd, @Out Pointer buf, @size_t long count);
    @ssize_t long write(int fd, @In Pointer buf, @size_t long count);

    // ioctl(2) with a pointer or an integer argument
    int ioctl(int fd, long request, Pointer arg);
    int ioctl(int fd, long request, long arg);

    // socket(2), bind(2), connect(2), sendto(2), recvfrom(2), setsockopt(2)
    int socket(int domain, int type, int protocol);
    int bind(int fd, @In Pointer addr, int addrlen);
    int connect(int fd, @In Pointer addr, int addrlen);
    @ssize_t long sendto(int fd, @In Pointer buf, @size_t long len, int flags, @In Pointer addr, int addrlen);
    @ssize_t long send(int fd, @In Pointer buf, @size_t long len, int flags);
    @ssize_t long recvfrom(int fd, @Out Pointer buf, @size_t long len, int flags, Pointer addr, IntByReference addrlen);
    @ssize_t long recv(int fd, @Out Pointer buf, @size_t long len, int flags);
    int setsockopt(int fd, int level, int optname, @In Pointer optval, int optlen);

    // poll(2): fds is an array of struct pollfd {int fd; short events; short revents;}
    int poll(Pointer fds, long nfds, int timeoutMillis);

    // mount(2), umount2(2)
    int mount(String source, String target, String fstype, long flags, String data);
    int umount2(String target, int flags);

    // personality(2): 0xffffffff queries without changing
    int personality(long persona);

    // kill(2), waitpid(2), setsid(2), getpid(2)
    int kill(int pid, int sig);
    int waitpid(int pid, IntByReference status, int options);
    int getpid();

    // termios(3): struct termios is 60 bytes on x86_64/glibc; treat it as opaque memory
    int tcgetattr(int fd, @Out Pointer termios);
    int tcsetattr(int fd, int optionalActions, @In Pointer termios);
    void cfmakeraw(Pointer termios);

    // strerror(3)
    String strerror(int errnum);

    // syscall(2), for calls glibc 2.36 has no wrapper for (pidfd_open)
    long syscall(long number, long a1, long a2);

    // posix_spawn(3) and its attribute / file-action helpers; opaque structs sized generously
    int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attr, String[] argv, String[] envp);
    int posix_spawnattr_init(Pointer attr);
    int posix_spawnattr_destroy(Pointer attr);
    int posix_spawnattr_setflags(Pointer attr, short flags);
    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);
    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);
    int posix_spawn_file_actions_init(Pointer actions);
    int posix_spawn_file_actions_destroy(Pointer actions);
    int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int oflag, int mode);
    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);
    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);
    int sigemptyset(Pointer set);
    int sigfillset(Pointer set);

    // lgetxattr(2), lsetxattr(2), llistxattr(2): extended attributes without following symlinks
    // (overlayfs keeps its markers, e.g. trusted.overlay.opaque, in the trusted.* namespace)
    @ssize_t long lgetxattr(String path, String name, @Out Pointer value, @size_t long size);
    int lsetxattr(String path, String name, @In Pointer value, @size_t long size, int flags);
    @ssize_t long llistxattr(String path, @Out Pointer list, @size_t long size);

    // mknod(2): dev is dev_t (unsigned long on x86_64 / aarch64 glibc)
    int mknod(String path, int mode, long dev);

    // syscall(2) with path arguments: open_tree(dfd, path, flags) and
    // move_mount(from_dfd, from_path, to_dfd, to_path, flags); see Mounts for numbers
    long syscall(long number, long a1, String a2, long a3);
    long syscall(long number, long a1, String a2, long a3, String a4, long a5);

    // setpriority(2): with PRIO_PROCESS and who 0 Linux changes the calling thread only
    int setpriority(int which, int who, int prio);

    // posix_spawn_file_actions_addchdir_np(3) (glibc 2.29+): the child's working directory
    int posix_spawn_file_actions_addchdir_np(Pointer actions, String path);

    // eventfd(2): a counter descriptor, used to wake a thread blocked in poll(2)
    int eventfd(int initval, int flags);

    // sched_setaffinity(2), sched_getaffinity(2): pid 0 is the calling thread; mask is a cpu_set_t
    int sched_setaffinity(int pid, @size_t long cpusetsize, @In Pointer mask);
    int sched_getaffinity(int pid, @size_t long cpusetsize, @Out Pointer mask);

    // statfs(2): struct statfs begins with f_type (__fsword_t, 8 bytes on x86_64 and aarch64)
    int statfs(String path, @Out Pointer buf);

    // statx(2) (glibc 2.28+): buf is a struct statx (256 bytes)
    int statx(int dirfd, String path, int flags, int mask, @Out Pointer buf);
    // socketpair(2)
    int socketpair(int domain, int type, int protocol, @Out int[] sv);
    // syscall(2) with three integer arguments (pidfd_getfd)
    long syscall(long number, long a1, long a2, long a3);
    // getsockopt(2)
    int getsockopt(int fd, int level, int optname, @Out Pointer optval, IntByReference optlen);
}
