package org.dumm.uml.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;
import org.dumm.nativ.UnixDatagram;

/**
 * Client of UML's management console: datagrams on the unix socket {@code <uml_dir>/<umid>/mconsole}.
 * <pre>
 * request: u32 magic 0xcafebabe | u32 version 2 | u32 len | char data[512]   (command, len = strlen)
 * reply:   u32 err | u32 more | u32 len | char data[512]                      (len counts a final NUL)
 * </pre>
 * in host byte order. Long answers ({@code proc}) come in several replies, all but the last with
 * {@code more} set. The guest answers to the sender's address, so the client socket is autobound;
 * it is connected to the guest's, so that a request does not look the path up again.
 * Thread-safe: one request at a time. After a timeout the socket is replaced, so that a late
 * answer cannot be mistaken for the next request's.
 */
final class Mconsole implements AutoCloseable {

    private static final int MAGIC = 0xcafebabe;
    private static final int VERSION = 2;
    private static final int MAX_DATA = 512;
    private static final int REQUEST_SIZE = 12 + MAX_DATA;

    /** An answer: {@code error} is UML's err flag, {@code text} the concatenated data. */
    record Reply(boolean error, String text) {
    }

    private final String guest;
    private final String socketPath;
    private final byte[] request = new byte[REQUEST_SIZE];
    private final byte[] reply = new byte[REQUEST_SIZE];
    private UnixDatagram socket;
    private boolean closed;

    Mconsole(String guest, String socketPath) {
        this.guest = guest;
        this.socketPath = socketPath;
    }

    /** Runs {@code command}; throws GUEST_FAILURE with UML's text when it reports an error. */
    String call(String command, Duration timeout) {
        Reply r = request(command, timeout);
        if (r.error()) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': mconsole '" + command
                    + "' failed: " + r.text());
        }
        return r.text();
    }

    /**
     * Sends one command and collects its (possibly multi-part) answer.
     *
     * @throws DummException TIMEOUT when the guest does not answer in time, GUEST_FAILURE when
     *                       the socket is gone (guest not running)
     */
    synchronized Reply request(String command, Duration timeout) {
        return request(command, timeout, null);
    }

    /**
     * Like {@link #request(String, Duration)}, running {@code meanwhile} on the calling thread
     * between sending the command and reading its answer: host work that the guest's handling
     * of the command does not depend on. {@code meanwhile} should not throw; if it does, the
     * answer is abandoned (the socket is replaced) and the exception passes through.
     */
    synchronized Reply request(String command, Duration timeout, Runnable meanwhile) {
        if (closed) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': mconsole client is closed");
        }
        byte[] cmd = command.getBytes(StandardCharsets.UTF_8);
        if (cmd.length >= MAX_DATA) {
            throw new DummException(Reason.INVALID_ARGUMENT, "mconsole command is " + cmd.length
                    + " bytes, UML takes at most " + (MAX_DATA - 1));
        }
        java.util.Arrays.fill(request, (byte) 0);
        LittleEndian.putInt(request, 0, MAGIC);
        LittleEndian.putInt(request, 4, VERSION);
        LittleEndian.putInt(request, 8, cmd.length);
        System.arraycopy(cmd, 0, request, 12, cmd.length);
        try {
            send();
        } catch (DummException e) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest + "': mconsole at " + socketPath
                    + " does not answer (" + e.getMessage() + ")", e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (meanwhile != null) {
            try {
                meanwhile.run();
            } catch (RuntimeException | Error e) {
                dropSocket();
                throw e;
            }
        }
        StringBuilder text = new StringBuilder();
        boolean error = false;
        boolean first = true;
        while (true) {
            int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            int n = socket.receive(reply, left);
            if (n < 0) {
                dropSocket();
                throw new DummException(Reason.TIMEOUT, "guest '" + guest + "': mconsole '" + command
                        + "' got no answer within " + timeout.toMillis() + " ms");
            }
            if (n < 12) {
                continue;
            }
            int err = LittleEndian.getInt(reply, 0);
            int more = LittleEndian.getInt(reply, 4);
            int len = Math.min(LittleEndian.getInt(reply, 8), Math.min(MAX_DATA, n - 12));
            if (first) {
                error = err != 0; // UML sets err on the first part only
                first = false;
            }
            int textLen = len;
            while (textLen > 0 && reply[12 + textLen - 1] == 0) {
                textLen--;
            }
            text.append(new String(reply, 12, textLen, StandardCharsets.UTF_8));
            if (more == 0) {
                return new Reply(error, text.toString());
            }
        }
    }

    /**
     * Sends {@link #request} on a socket connected to the guest's (see
     * {@link UnixDatagram#connect}); once more on a new one when the connected socket's peer
     * refuses it, i.e. UML has made its socket anew.
     */
    private void send() {
        for (int attempt = 1; ; attempt++) {
            try {
                connected().send(request, REQUEST_SIZE);
                return;
            } catch (NativeException e) {
                dropSocket();
                if (attempt == 2 || e.errno() != Errno.ECONNREFUSED) {
                    throw e;
                }
            }
        }
    }

    /** The client socket, opened and connected to the guest's if there is none. */
    private UnixDatagram connected() {
        if (socket == null) {
            UnixDatagram s = UnixDatagram.open();
            try {
                s.connect(socketPath);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
            socket = s;
        }
        return socket;
    }

    /**
     * Closes the client socket, if any: a late answer must not land in the next request's, and a
     * refused connection is made anew. The next request opens a fresh one.
     */
    private void dropSocket() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }
}
