package org.dumm.uml.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/**
 * Notices guest process exits on one thread for all guests. A pidfd (pidfd_open(2)) becomes
 * readable when its process exits, whether the process is our child (started by this JVM) or
 * not (adopted after a restart), so exits are seen at once rather than by polling kill(pid, 0).
 * Our own children are reaped here with waitpid(WNOHANG).
 *
 * A UML guest is a process group (its leader plus a host process per guest address space and
 * helpers); when the leader dies by a signal the others stay behind. So on an exit the rest of
 * the group is killed too: by kill(-pgid) while the unreaped leader still pins the group id (our
 * child), otherwise by scanning /proc for members that carry the guest's marker argument.
 */
final class ProcessWatcher implements AutoCloseable {

    private static final long SYS_PIDFD_OPEN = 434; // same number on x86_64 and aarch64
    /** New watches join the poll set within this; exits of watched pids wake the poll at once. */
    private static final int POLL_MS = 200;

    /** One watched process; {@link #exited()} completes (on the executor) when it is gone. */
    final class Watch {
        private final int pid;
        private final int pidfd;
        private final String marker;
        private final CompletableFuture<Void> exited = new CompletableFuture<>();
        private volatile boolean cancelled;

        private Watch(int pid, int pidfd, String marker) {
            this.pid = pid;
            this.pidfd = pidfd;
            this.marker = marker;
        }

        int pid() {
            return pid;
        }

        CompletableFuture<Void> exited() {
            return exited;
        }

        /** Stops watching without reporting anything (detach). */
        void cancel() {
            cancelled = true;
            synchronized (ProcessWatcher.this) {
                ProcessWatcher.this.notifyAll();
            }
        }
    }

    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final Executor executor;
    private final Thread thread;
    private volatile boolean closed;

    ProcessWatcher(Executor executor) {
        this.executor = executor;
        this.thread = new Thread(this::run, "dumm-uml-process-watcher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Starts watching group leader {@code pid}, whose group members all have {@code marker} among
     * their arguments; if it is already gone the watch completes right away.
     */
    Watch watch(int pid, String marker) {
        long fd = Native.libc().syscall(SYS_PIDFD_OPEN, pid, 0);
        if (fd < 0) {
            int err = Native.errno();
            if (err != Errno.ESRCH) {
                throw Native.error("pidfd_open(" + pid + ")");
            }
            Watch gone = new Watch(pid, -1, marker);
            ProcessTools.killGroup(pid, marker);
            reapIfChild(pid);
            executor.execute(() -> gone.exited.complete(null));
            return gone;
        }
        Watch w = new Watch(pid, (int) fd, marker);
        watches.add(w);
        synchronized (this) {
            notifyAll();
        }
        return w;
    }

    private void run() {
        LibC c = Native.libc();
        while (!closed) {
            List<Watch> snapshot = new ArrayList<>();
            for (Watch w : watches) {
                if (w.cancelled) {
                    watches.remove(w);
                    c.close(w.pidfd);
                } else {
                    snapshot.add(w);
                }
            }
            if (snapshot.isEmpty()) {
                synchronized (this) {
                    try {
                        if (watches.isEmpty() && !closed) {
                            wait(POLL_MS);
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            Pointer fds = Native.allocate(8 * snapshot.size());
            for (int i = 0; i < snapshot.size(); i++) {
                fds.putInt(8L * i, snapshot.get(i).pidfd);
                fds.putShort(8L * i + 4, Fcntl.POLLIN);
            }
            int ready = c.poll(fds, snapshot.size(), POLL_MS);
            if (ready <= 0) {
                continue;
            }
            for (int i = 0; i < snapshot.size(); i++) {
                if (fds.getShort(8L * i + 6) != 0) {
                    Watch w = snapshot.get(i);
                    watches.remove(w);
                    if (!w.cancelled) {
                        ProcessTools.killGroup(w.pid, w.marker);
                    }
                    reapIfChild(w.pid);
                    c.close(w.pidfd);
                    if (!w.cancelled) {
                        executor.execute(() -> w.exited.complete(null));
                    }
                }
            }
        }
        for (Watch w : watches) {
            c.close(w.pidfd);
        }
        watches.clear();
    }

    private static void reapIfChild(int pid) {
        // ECHILD when it is not ours (adopted guest): its parent (init) reaps it
        Native.libc().waitpid(pid, new IntByReference(), Fcntl.WNOHANG);
    }

    /** Stops the thread; watched processes are left alone and nothing is reported. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
