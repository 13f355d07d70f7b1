package org.dumm.uml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

import jnr.ffi.Pointer;

import org.dumm.api.ConsoleSession;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/**
 * The guest's interactive console: our own descriptor on the terminal of a pty whose master UML
 * holds (con1). The UML process also keeps the terminal open, so closing this session does not
 * hang up the guest's tty1: the shell or getty there keeps running, as after a screen detach.
 */
final class PtyConsole implements ConsoleSession {

    private static final int POLL_MS = 200;

    private final int fd;
    private final String device;
    private final Object lock = new Object();
    private volatile boolean closed;
    private int users; // reads/writes in progress; the fd is closed when the last one leaves

    PtyConsole(int fd, String device) {
        this.fd = fd;
        this.device = device;
    }

    @Override
    public InputStream output() {
        return new InputStream() {
            private final Pointer buf = Native.allocate(4096);
            private final Pointer pollFd = Native.allocate(8);

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
                        pollFd.putInt(0, fd);
                        pollFd.putShort(4, Fcntl.POLLIN);
                        pollFd.putShort(6, (short) 0);
                        if (c.poll(pollFd, 1, POLL_MS) <= 0) {
                            if (Thread.interrupted()) {
                                throw new InterruptedIOException("console read interrupted");
                            }
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
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (!enter()) {
                    throw new IOException("console of " + device + " is closed");
                }
                try {
                    Pointer p = Native.allocate(len);
                    p.put(0, b, off, len);
                    int done = 0;
                    while (done < len) {
                        long n = Native.libc().write(fd, p.slice(done), len - done);
                        if (n < 0) {
                            int err = Native.errno();
                            if (err == Errno.EINTR) {
                                continue;
                            }
                            throw new IOException("writing to " + device + ": " + Errno.name(err));
                        }
                        done += (int) n;
                    }
                } finally {
                    leave();
                }
            }
        };
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

    /** Detaches: our descriptor is closed once no read or write is using it; the guest goes on. */
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
