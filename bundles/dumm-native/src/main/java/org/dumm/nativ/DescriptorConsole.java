package org.dumm.nativ;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

import jnr.ffi.Pointer;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;

/**
 * A guest's console on a descriptor of ours: the terminal end of a pty whose master UML holds, or
 * a copy of the master a netns guest keeps. Reads and writes wait in poll(2) in short rounds (so
 * an interrupt ends them, and a descriptor whose status flags are shared with the guest's copy may
 * be non-blocking). The guest holds its own descriptors on the same pty, so closing this session
 * hangs up nothing: the shell there keeps running, as after a screen detach. The descriptor is
 * closed when the session is and no read or write uses it any more.
 */
public final class DescriptorConsole implements ConsoleSession {

    private static final int POLL_MS = 200;

    private final int fd;
    private final String device;
    private final Object lock = new Object();
    private volatile boolean closed;
    private int users; // reads and writes in progress; the descriptor is closed when the last leaves

    /** A session on {@code fd}, which it owns from now on; {@code device} is what users may open themselves. */
    public DescriptorConsole(int fd, String device) {
        this.fd = fd;
        this.device = device;
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

    /** TIOCSWINSZ on our end of the pty: UML's line driver or the netns shell's terminal follows it. */
    @Override
    public void resize(int rows, int cols) {
        if (rows < 1 || rows > 1000 || cols < 1 || cols > 1000) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT,
                    "window size " + rows + "x" + cols + " is out of 1..1000");
        }
        if (!enter()) {
            throw new DummException(DummException.Reason.INVALID_STATE,
                    "console " + device + " is closed");
        }
        try {
            Pty.setWindowSize(fd, rows, cols);
        } finally {
            leave();
        }
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
