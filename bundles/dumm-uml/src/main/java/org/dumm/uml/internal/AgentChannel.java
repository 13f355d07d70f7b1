package org.dumm.uml.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
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
import org.dumm.nativ.NativeException;

/**
 * Host side of the exec agent (src/main/c/dumm-agent.c): framed requests on the guest's agent
 * terminal, answered out of order. Many callers may wait at once; one reader thread hands each
 * reply to the caller waiting for its id. Replies to ids nobody waits for (an earlier host's
 * requests, after a restart) are dropped, and junk is skipped by searching for the magic.
 */
final class AgentChannel implements AutoCloseable {

    static final int OP_PING = 1;
    static final int OP_EXEC = 2;
    static final int OP_SYNC = 3;
    static final int OP_IFDOWN = 4;
    static final int OP_RENAME = 5;
    static final int OP_IFUP = 6;
    static final int OP_NETLINK = 7;
    static final int OP_SOPEN = 8;
    static final int OP_SEXEC = 9;
    static final int OP_SCLOSE = 10;

    static final int F_TIMEDOUT = 1;
    static final int F_TRUNCATED = 2;
    static final int F_AGENT_ERROR = 4;

    /** Largest request payload the agent accepts. */
    static final int MAX_PAYLOAD = 1 << 20;

    private static final int REQ_MAGIC = 0x31514d44; // "DMQ1" little-endian
    private static final int REP_MAGIC = 0x31524d44; // "DMR1"
    private static final int HEADER = 24;
    private static final int POLL_MS = 250;
    /**
     * Pings while waiting for the agent back off from 50 ms to 2 s, and stop after
     * {@value #MAX_PINGS}: until the agent opens its terminal, every ping stays queued in the
     * guest's line (cooked mode, no newline), and once ~4 KB are queued UML throttles the line
     * and, here, never reads its host fd again: the agent's hello still gets out, but no request
     * ever reaches it (seen with 8 guests booting at once, which takes 10-20 s).
     */
    private static final int FIRST_PING_INTERVAL_MS = 50;
    private static final int MAX_PING_INTERVAL_MS = 2_000;
    private static final int MAX_PINGS = 40;
    /** How long a request waits for its answer before {@link #nudge} (a ping) follows it. */
    private static final long NUDGE_AFTER_MS = 1_000;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int EFD_NONBLOCK = 04000;

    /** One answer: exit status, captured output and flags ({@code F_*}). */
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
    /** Wakes the reader out of poll(2) when the channel closes; the reader closes both fds. */
    private final int wake;
    private final Map<Integer, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    /** The agent's unasked id-0 ping reply, sent whenever it opens its terminal. */
    private final CompletableFuture<Reply> hello = new CompletableFuture<>();
    /** Told when a new agent says hello on an established channel; must not block. */
    private volatile Runnable restartListener;
    private final AtomicInteger ids = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 30));
    private final Object writeLock = new Object();
    private final Pointer writePoll = Native.allocate(8);
    private final Thread reader;
    private volatile boolean closed;
    private volatile String failure;
    /** Guarded by writeLock: the reader closes the fd under it, so no write hits a reused number. */
    private boolean fdClosed;

    private AgentChannel(String guest, int fd, int wake) {
        this.guest = guest;
        this.fd = fd;
        this.wake = wake;
        this.reader = new Thread(this::readLoop, "dumm-uml-agent-" + guest);
        this.reader.setDaemon(true);
    }

    /**
     * Takes a copy of what process {@code pid} holds at {@code fd} (the host end of the agent's
     * socket pair; for a guest started up to 2026-11-29 the terminal of a raw pty, which works
     * the same way) and pings until the agent answers for {@code umid}, or until
     * {@code deadlineNanos}.
     */
    static AgentChannel connect(String guest, int pid, int fd, String umid, long deadlineNanos) {
        int own;
        try {
            own = Descriptors.copyFrom(pid, fd);
        } catch (NativeException e) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': cannot reach its agent: " + e.getMessage(), e);
        }
        int wake = Native.libc().eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake < 0) {
            int err = Native.errno();
            Descriptors.close(own);
            throw new DummException(Reason.HOST_ERROR, "eventfd: " + Errno.name(err));
        }
        AgentChannel ch = new AgentChannel(guest, own, wake);
        try {
            Descriptors.drain(own); // replies meant for an earlier host
            ch.reader.start();
            ch.awaitAgent(umid, deadlineNanos);
            return ch;
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void awaitAgent(String umid, long deadlineNanos) {
        String expected = "umid=" + umid;
        // the agent says hello when it opens its terminal; pings cover a hello we missed (sent
        // before we listened, or flushed by us). Any ping's answer will do, so all stay pending.
        CompletableFuture<Reply> pong = new CompletableFuture<>();
        List<Integer> pingIds = new ArrayList<>();
        long interval = FIRST_PING_INTERVAL_MS;
        Reply r;
        try {
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': its agent did not answer");
                }
                if (pingIds.size() < MAX_PINGS) {
                    int id = ids.incrementAndGet();
                    pingIds.add(id);
                    pending.put(id, pong);
                    write(frame(id, OP_PING, 0, 0, new byte[0]), deadlineNanos);
                }
                long wait = Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, interval);
                interval = Math.min(MAX_PING_INTERVAL_MS, interval * 2);
                try {
                    r = (Reply) CompletableFuture.anyOf(pong, hello).get(wait, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    // ping again, or keep waiting
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof DummException d ? d
                    : new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': interrupted");
        } finally {
            pingIds.forEach(pending::remove);
        }
        String text = new String(r.out(), StandardCharsets.UTF_8);
        if (!text.contains(expected)) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest
                    + "': its agent terminal answers for another guest (" + text + ")");
        }
    }

    /** Sets what to do when the agent restarts (the guest rebooted); called on the reader thread. */
    void onRestart(Runnable listener) {
        this.restartListener = listener;
    }

    /** True until closed or broken (the guest closed its side, i.e. it died). */
    boolean isOpen() {
        return !closed && failure == null;
    }

    /**
     * Sends one request and waits for its reply until {@code waitMillis} have passed (writing
     * must finish by {@code writeDeadlineNanos}).
     *
     * @throws DummException TIMEOUT when no reply came in time, GUEST_FAILURE when the channel broke
     */
    Reply call(int op, byte[] payload, int timeoutMillis, int cap, long waitMillis, long writeDeadlineNanos) {
        return await(send(op, payload, timeoutMillis, cap, writeDeadlineNanos), waitMillis);
    }

    /** A request sent whose reply {@link #await} collects; every one sent must be awaited. */
    record Call(int id, CompletableFuture<Reply> reply) {
    }

    /** Sends one request without waiting: the caller can work while the guest does. */
    Call send(int op, byte[] payload, int timeoutMillis, int cap, long writeDeadlineNanos) {
        checkOpen();
        int id = ids.incrementAndGet();
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            write(frame(id, op, timeoutMillis, cap, payload), writeDeadlineNanos);
        } catch (RuntimeException e) {
            pending.remove(id);
            throw e;
        }
        return new Call(id, reply);
    }

    /**
     * Waits for the reply to {@code call} until {@code waitMillis} have passed since now.
     *
     * @throws DummException TIMEOUT when no reply came in time, GUEST_FAILURE when the channel broke
     */
    Reply await(Call call, long waitMillis) {
        try {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            int nudges = 0;
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                try {
                    return call.reply().get(Math.max(0, Math.min(left, NUDGE_AFTER_MS)), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (left <= NUDGE_AFTER_MS) {
                        throw e;
                    }
                    if (nudges++ < MAX_PINGS) {
                        nudge();
                    }
                }
            }
        } catch (TimeoutException e) {
            throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': no answer from its agent within "
                    + Duration.ofMillis(waitMillis).toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof DummException d ? d
                    : new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': interrupted while waiting for its agent");
        } finally {
            pending.remove(call.id());
        }
    }

    /**
     * Sends a ping nobody waits for. UML watches the host side of the agent's terminal with
     * edge-triggered epoll, and after a pause (mconsole stop/go) or under heavy load a wake-up
     * is sometimes lost: the request then sits unread in the host pty until more bytes arrive.
     * These bytes are that arrival; the agent answers the ping and the reply is dropped.
     */
    private void nudge() {
        try {
            write(frame(ids.incrementAndGet(), OP_PING, 0, 0, new byte[0]),
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50));
        } catch (DummException e) {
            // the terminal is full or closed: the caller's own wait says what happened
        }
    }

    private void checkOpen() {
        String f = failure;
        if (f != null) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': " + f);
        }
        if (closed) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': its agent channel is closed");
        }
    }

    private static byte[] frame(int id, int op, int timeoutMillis, int cap, byte[] payload) {
        byte[] f = new byte[HEADER + payload.length];
        LittleEndian.putInt(f, 0, REQ_MAGIC);
        LittleEndian.putInt(f, 4, id);
        f[8] = (byte) op;
        LittleEndian.putInt(f, 12, timeoutMillis);
        LittleEndian.putInt(f, 16, cap);
        LittleEndian.putInt(f, 20, payload.length);
        System.arraycopy(payload, 0, f, HEADER, payload.length);
        return f;
    }

    private void write(byte[] data, long deadlineNanos) {
        LibC c = Native.libc();
        Pointer buf = Native.allocate(data.length);
        buf.put(0, data, 0, data.length);
        synchronized (writeLock) {
            int done = 0;
            while (done < data.length) {
                checkOpen();
                if (fdClosed) {
                    throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': its agent channel is closed");
                }
                long n = c.write(fd, buf.slice(done), data.length - done);
                if (n > 0) {
                    done += (int) n;
                    continue;
                }
                int err = Native.errno();
                if (n < 0 && err != Errno.EAGAIN && err != Errno.EINTR) {
                    fail("writing to its agent terminal: " + Errno.name(err));
                    checkOpen();
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new DummException(Reason.TIMEOUT, "guest '" + guest
                            + "': its agent terminal accepts no input (guest paused or hung?)");
                }
                writePoll.putInt(0, fd);
                writePoll.putShort(4, Fcntl.POLLOUT);
                writePoll.putShort(6, (short) 0);
                c.poll(writePoll, 1, (int) Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, POLL_MS));
            }
        }
    }

    private void readLoop() {
        LibC c = Native.libc();
        Pointer pollFds = Native.allocate(16);
        Pointer chunk = Native.allocate(65536);
        byte[] acc = new byte[65536];
        int len = 0;
        try {
            while (!closed) {
                pollFds.putInt(0, fd);
                pollFds.putShort(4, Fcntl.POLLIN);
                pollFds.putShort(6, (short) 0);
                pollFds.putInt(8, wake);
                pollFds.putShort(12, Fcntl.POLLIN);
                pollFds.putShort(14, (short) 0);
                int ready = c.poll(pollFds, 2, -1);
                if (ready <= 0 || closed) {
                    continue;
                }
                long n = c.read(fd, chunk, 65536);
                if (n < 0) {
                    int err = Native.errno();
                    if (err == Errno.EAGAIN || err == Errno.EINTR) {
                        continue;
                    }
                    // EIO: the master side is gone, i.e. the UML process has exited
                    fail("its agent terminal closed (" + Errno.name(err) + ")");
                    return;
                }
                if (n == 0) {
                    fail("its agent terminal closed");
                    return;
                }
                if (len + n > acc.length) {
                    byte[] bigger = new byte[Math.max(acc.length * 2, len + (int) n)];
                    System.arraycopy(acc, 0, bigger, 0, len);
                    acc = bigger;
                }
                chunk.get(0, acc, len, (int) n);
                len += (int) n;
                int used = parse(acc, len);
                if (used > 0) {
                    System.arraycopy(acc, used, acc, 0, len - used);
                    len -= used;
                }
                if (acc.length > (1 << 20) && len < acc.length / 4) {
                    byte[] smaller = new byte[Math.max(65536, len * 2)];
                    System.arraycopy(acc, 0, smaller, 0, len);
                    acc = smaller;
                }
            }
        } catch (RuntimeException e) {
            fail("agent reader failed: " + e.getMessage());
        } finally {
            synchronized (writeLock) {
                c.close(fd);
                c.close(wake);
                fdClosed = true;
            }
            fail("its agent channel is closed");
        }
    }

    /** Hands out every complete reply in {@code b[0..len)}; returns how many bytes were used. */
    private int parse(byte[] b, int len) {
        int pos = 0;
        while (true) {
            int magic = indexOfMagic(b, pos, len);
            if (magic < 0) {
                return Math.max(pos, len - 3); // keep a possible partial magic
            }
            pos = magic;
            if (len - pos < HEADER) {
                return pos;
            }
            long outLen = LittleEndian.getInt(b, pos + 16) & 0xffffffffL;
            long errLen = LittleEndian.getInt(b, pos + 20) & 0xffffffffL;
            if (outLen + errLen > Integer.MAX_VALUE - HEADER - 16) {
                pos += 4; // not a real header
                continue;
            }
            int total = HEADER + (int) (outLen + errLen);
            if (len - pos < total) {
                return pos;
            }
            int id = LittleEndian.getInt(b, pos + 4);
            int op = b[pos + 8] & 0xff;
            int flags = b[pos + 9] & 0xff;
            int status = LittleEndian.getInt(b, pos + 12);
            boolean isHello = id == 0 && op == OP_PING;
            if (isHello && hello.isDone()) {
                // a second hello: a new agent, so the guest rebooted and took our requests with it
                DummException lost = new DummException(Reason.GUEST_FAILURE, "guest '" + guest
                        + "': its agent restarted (guest rebooted?) before answering");
                // a snapshot: requests sent from now on (woken callers retry at once) reach the new agent
                new ArrayList<>(pending.values()).forEach(f -> f.completeExceptionally(lost));
                Runnable listener = restartListener;
                if (listener != null) {
                    listener.run();
                }
            }
            CompletableFuture<Reply> waiter = isHello ? hello : pending.get(id);
            if (waiter != null) {
                byte[] out = new byte[(int) outLen];
                byte[] err = new byte[(int) errLen];
                System.arraycopy(b, pos + HEADER, out, 0, out.length);
                System.arraycopy(b, pos + HEADER + out.length, err, 0, err.length);
                waiter.complete(new Reply(id, op, flags, status, out, err));
            }
            pos += total;
        }
    }

    private static int indexOfMagic(byte[] b, int from, int len) {
        for (int i = from; i + 4 <= len; i++) {
            if (LittleEndian.getInt(b, i) == REP_MAGIC) {
                return i;
            }
        }
        return -1;
    }

    private void fail(String why) {
        if (failure == null && !closed) {
            failure = why;
        }
        DummException e = new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': " + why);
        pending.values().forEach(f -> f.completeExceptionally(e));
        hello.completeExceptionally(e);
    }

    /**
     * Stops the reader and waits for it, so that no stale reader can take bytes meant for the
     * next channel on the same terminal; closes the terminal. The guest is untouched.
     */
    @Override
    public void close() {
        closed = true;
        DummException e = new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': its agent channel is closed");
        pending.values().forEach(f -> f.completeExceptionally(e));
        if (reader.getState() == Thread.State.NEW) {
            // never started (connect failed early): the fds are still ours to close
            synchronized (writeLock) {
                if (!fdClosed) {
                    Native.libc().close(fd);
                    Native.libc().close(wake);
                    fdClosed = true;
                }
            }
            return;
        }
        Pointer one = Native.allocate(8);
        one.putLong(0, 1);
        synchronized (writeLock) {
            if (!fdClosed) {
                Native.libc().write(wake, one, 8);
            }
        }
        if (Thread.currentThread() != reader) {
            try {
                reader.join(5000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
