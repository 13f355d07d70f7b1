package org.dumm.netns.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import jnr.ffi.Pointer;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.Descriptors;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/**
 * The host's end of a netns guest's agent: the agent's framing (see dumm-agent.c in dumm-uml) on
 * the socket pair end the guest's first process keeps at {@link #KEEP_FD}, taken with
 * pidfd_getfd(2), so it works the same for a guest started now and one adopted after a restart.
 * One reader thread hands each reply to the caller waiting for its id; calls may overlap.
 */
final class AgentLink implements AutoCloseable {

    static final int OP_PING = 1;
    static final int OP_EXEC = 2;
    static final int OP_SYNC = 3;
    static final int OP_IFDOWN = 4;
    static final int OP_IFUP = 6;
    static final int OP_SOPEN = 8;
    static final int OP_SEXEC = 9;
    static final int OP_SCLOSE = 10;
    static final int F_TIMEDOUT = 1;
    static final int F_TRUNCATED = 2;
    static final int F_AGENT_ERROR = 4;
    static final int MAX_PAYLOAD = 1 << 20;
    /** Where the launcher leaves the host's end of the agent's socket pair in the guest's first process. */
    static final int KEEP_FD = 11;

    private static final int REQ_MAGIC = 0x31514d44; // "DMQ1" little-endian
    private static final int REP_MAGIC = 0x31524d44; // "DMR1"
    private static final int HEADER = 24;

    /** One answer. */
    record Reply(int id, int op, int flags, int status, byte[] out, byte[] err) {
        boolean agentError() {
            return (flags & F_AGENT_ERROR) != 0;
        }

        String errText() {
            return new String(err, StandardCharsets.UTF_8).trim();
        }
    }

    private final String guest;
    private final int fd;
    private final Map<Integer, CompletableFuture<Reply>> waiting = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger(1);
    private final CompletableFuture<Reply> hello = new CompletableFuture<>();
    private final Thread reader;
    private volatile boolean closed;

    private AgentLink(String guest, int fd) {
        this.guest = guest;
        this.fd = fd;
        this.reader = new Thread(this::readLoop, "dumm-netns-agent-" + guest);
        reader.setDaemon(true);
        reader.start();
    }

    /** Takes the channel of guest process {@code pid}. */
    static AgentLink open(String guest, int pid) {
        return new AgentLink(guest, Descriptors.copyFrom(pid, KEEP_FD));
    }

    /** Waits for the agent: its hello (a fresh guest) or the answer to a ping (an adopted one). */
    void awaitReady(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        if (hello.isDone()) {
            return;
        }
        CompletableFuture<Reply> ping = send(OP_PING, new byte[0], 0, 0);
        try {
            CompletableFuture.anyOf(hello, ping).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': the agent did not answer within " + timeoutMs + " ms");
        } catch (ExecutionException e) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': agent channel: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.GUEST_FAILURE, "interrupted");
        }
    }

    /** Sends one request and waits for its answer at most {@code waitMs}. */
    Reply call(int op, byte[] payload, int timeoutMs, int cap, long waitMs) {
        CompletableFuture<Reply> f = send(op, payload, timeoutMs, cap);
        try {
            return f.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': no answer from the agent within " + waitMs + " ms");
        } catch (ExecutionException e) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.GUEST_FAILURE, "interrupted");
        }
    }

    private CompletableFuture<Reply> send(int op, byte[] payload, int timeoutMs, int cap) {
        if (closed) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': agent channel is closed");
        }
        int id = ids.getAndUpdate(i -> i == Integer.MAX_VALUE ? 1 : i + 1);
        CompletableFuture<Reply> f = new CompletableFuture<>();
        waiting.put(id, f);
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(REQ_MAGIC).putInt(id).put((byte) op).put((byte) 0).put((byte) 0).put((byte) 0)
                .putInt(timeoutMs).putInt(cap).putInt(payload.length).put(payload);
        try {
            write(b.array());
        } catch (RuntimeException e) {
            waiting.remove(id);
            throw e;
        }
        return f;
    }

    private synchronized void write(byte[] data) {
        LibC c = Native.libc();
        Pointer p = Native.allocate(data.length);
        p.put(0, data, 0, data.length);
        long off = 0;
        while (off < data.length) {
            long n = c.write(fd, p.slice(off), data.length - off);
            if (n > 0) {
                off += n;
                continue;
            }
            int errno = Native.errno();
            if (n < 0 && errno != Errno.EAGAIN && errno != Errno.EINTR) {
                throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': writing to the agent: "
                        + c.strerror(errno));
            }
            pollFor(Fcntl.POLLOUT, 100);
        }
    }

    private int pollFor(short events, int ms) {
        Pointer pfd = Native.allocate(8);
        pfd.putInt(0, fd);
        pfd.putShort(4, events);
        pfd.putShort(6, (short) 0);
        int r = Native.libc().poll(pfd, 1, ms);
        return r > 0 ? pfd.getShort(6) : 0;
    }

    private void readLoop() {
        LibC c = Native.libc();
        Pointer chunk = Native.allocate(65536);
        byte[] buf = new byte[1 << 16];
        int len = 0;
        try {
            while (!closed) {
                int rev = pollFor(Fcntl.POLLIN, 250);
                if (rev == 0) {
                    continue;
                }
                long n = c.read(fd, chunk, 65536);
                if (n == 0 || (n < 0 && Native.errno() != Errno.EAGAIN && Native.errno() != Errno.EINTR)) {
                    break;
                }
                if (n < 0) {
                    continue;
                }
                if (len + n > buf.length) {
                    buf = Arrays.copyOf(buf, Math.max(buf.length * 2, (int) (len + n)));
                }
                chunk.get(0, buf, len, (int) n);
                len += (int) n;
                len = parse(buf, len);
            }
        } catch (RuntimeException e) {
            // channel broken: fail the waiters below
        }
        closed = true;
        DummException gone = new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': agent channel closed");
        waiting.values().forEach(f -> f.completeExceptionally(gone));
        hello.completeExceptionally(gone);
    }

    /** Hands out every complete reply in {@code buf[0, len)}; returns what is left, moved to the front. */
    private int parse(byte[] buf, int len) {
        int pos = 0;
        while (len - pos >= HEADER) {
            ByteBuffer h = ByteBuffer.wrap(buf, pos, len - pos).order(ByteOrder.LITTLE_ENDIAN);
            if (h.getInt(pos) != REP_MAGIC) {
                pos++; // junk: resynchronise on the magic
                continue;
            }
            int id = h.getInt(pos + 4);
            int op = buf[pos + 8] & 0xff;
            int flags = buf[pos + 9] & 0xff;
            int status = h.getInt(pos + 12);
            int outLen = h.getInt(pos + 16);
            int errLen = h.getInt(pos + 20);
            if (outLen < 0 || errLen < 0) {
                pos++;
                continue;
            }
            long total = (long) HEADER + outLen + errLen;
            if (len - pos < total) {
                break;
            }
            byte[] out = Arrays.copyOfRange(buf, pos + HEADER, pos + HEADER + outLen);
            byte[] err = Arrays.copyOfRange(buf, pos + HEADER + outLen, pos + (int) total);
            Reply r = new Reply(id, op, flags, status, out, err);
            pos += (int) total;
            if (id == 0) {
                hello.complete(r);
            } else {
                CompletableFuture<Reply> f = waiting.remove(id);
                if (f != null) {
                    f.complete(r);
                }
            }
        }
        System.arraycopy(buf, pos, buf, 0, len - pos);
        return len - pos;
    }

    boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            reader.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Descriptors.close(fd);
    }
}
