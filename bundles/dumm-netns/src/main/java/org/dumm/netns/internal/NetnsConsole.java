package org.dumm.netns.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import jnr.ffi.Pointer;

import org.dumm.api.ConsoleSession;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/**
 * A netns guest's console: our copy (pidfd_getfd) of the master of the pty the launcher opened in
 * the guest's own {@code /dev/pts}, which the guest's first process keeps at {@link #FD}. The
 * guest's console keeper holds the terminal end and starts a login shell there when a line is
 * typed. Other copies of the master stay open in the guest, so closing this session hangs up
 * nothing: the shell keeps running, as after a screen detach. The descriptor is non-blocking
 * (its status flags are shared with the guest's copy), so reads and writes wait in poll(2).
 */
final class NetnsConsole implements ConsoleSession {

    /** Where the launcher leaves the console pty's master in the guest's first process. */
    static final int FD = 12;
    private static final int POLL_MS = 200;

    private final int fd;
    private final String device;
    private final Object lock = new Object();
    private volatile boolean closed;
    private int users; // reads and writes in progress; the descriptor is closed when the last leaves

    NetnsConsole(int fd, String device) {
        this.fd = fd;
        this.device = device;
    }

    /** The terminal end as the host sees it: {@code /proc/PID/root/dev/pts/N}, N from the master's fdinfo. */
    static String deviceOf(int pid) {
        String index = "0";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + FD))) {
                if (line.startsWith("tty-index:")) {
                    index = line.substring("tty-index:".length()).trim();
                }
            }
        } catch (IOException e) {
            // the first pty of the guest's devpts instance, as the launcher opens it
        }
        return "/proc/" + pid + "/root/dev/pts/" + index;
    }

    @Override
    public InputStream output() {
        return new InputStream() {
            private final Pointer buf = Native.allocate(4096);
            private final Pointer pfd = Native.allocate(8);

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                LibC c = Native.libc();
                while (true) {
                    if (!enter()) {
                        return -1;
                    }
                    try {
                        if (!await(pfd, Fcntl.POLLIN)) {
                            continue;
                        }
                        long n = c.read(fd, buf, Math.min(len, 4096));
                        if (n > 0) {
                            buf.get(0, b, off, (int) n);
                            return (int) n;
                        }
                        int err = Native.errno();
                        if (n < 0 && (err == Errno.EAGAIN || err == Errno.EINTR)) {
                            continue;
                        }
                        return -1; // EIO: the guest is gone
                    } finally {
                        leave();
                    }
                }
            }
        };
    }

    @Override
    public OutputStream input() {
        return new OutputStream() {
            private final Pointer pfd = Native.allocate(8);

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (!enter()) {
                    throw new IOException("console " + device + " is closed");
                }
                try {
                    Pointer p = Native.allocate(Math.max(1, len));
                    p.put(0, b, off, len);
                    int done = 0;
                    while (done < len) {
                        long n = Native.libc().write(fd, p.slice(done), len - done);
                        if (n >= 0) {
                            done += (int) n;
                            continue;
                        }
                        int err = Native.errno();
                        if (err == Errno.EAGAIN) {
                            await(pfd, Fcntl.POLLOUT);
                        } else if (err != Errno.EINTR) {
                            throw new IOException("writing to " + device + ": " + Errno.name(err));
                        }
                    }
                } finally {
                    leave();
                }
            }
        };
    }

    /** Polls for {@code events} at most {@link #POLL_MS}; true when they came. */
    private boolean await(Pointer pfd, short events) throws InterruptedIOException {
        pfd.putInt(0, fd);
        pfd.putShort(4, events);
        pfd.putShort(6, (short) 0);
        if (Native.libc().poll(pfd, 1, POLL_MS) > 0) {
            return true;
        }
        if (Thread.interrupted()) {
            throw new InterruptedIOException("console interrupted");
        }
        return false;
    }

    @Override
    public String device() {
        return device;
    }

    private boolean enter() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            users++;
            return true;
        }
    }

    private void leave() {
        synchronized (lock) {
            users--;
            if (closed && users == 0) {
                Native.libc().close(fd);
            }
        }
    }

    /** Detaches: our descriptor is closed once no read or write uses it; the guest goes on. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (users == 0) {
                Native.libc().close(fd);
            }
        }
    }
}
