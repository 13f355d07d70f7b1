package org.dumm.core.internal;

import java.time.Duration;
import java.util.OptionalInt;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.ExecSession;
import org.dumm.api.GuestState;
import org.dumm.api.spi.GuestHandle;

/**
 * An {@link ExecSession} on one life of a guest (the handle it was opened on): its commands go to
 * the guest's shell session, a new one when that ended (the agent says the command did not run),
 * or, where the backend has none, each to a single exec. A restart of the guest ends it.
 */
final class ShellSession implements ExecSession {

    private final GuestEntry entry;
    private final GuestHandle handle;
    private OptionalInt shell;
    private boolean closed;

    ShellSession(GuestEntry entry, GuestHandle handle) {
        this.entry = entry;
        this.handle = handle;
        this.shell = handle.openShell();
    }

    @Override
    public String guest() {
        return entry.name;
    }

    @Override
    public synchronized ExecResult exec(String command, Duration timeout) {
        if (command == null || command.isBlank()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "no command given");
        }
        if (closed) {
            throw new DummException(Reason.INVALID_STATE, "the session in guest '" + entry.name + "' is closed");
        }
        if (entry.handle != handle || entry.state != GuestState.RUNNING) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + entry.name + "' is " + entry.state.name().toLowerCase()
                    + (entry.handle != handle && entry.handle != null ? " (restarted since the session was opened)" : "")
                    + ", the session is over");
        }
        if (shell.isEmpty()) {
            return handle.exec(command, timeout);
        }
        try {
            return handle.execInShell(shell.getAsInt(), command, timeout);
        } catch (DummException e) {
            if (e.reason() != Reason.NOT_FOUND) {
                throw e;
            }
            shell = handle.openShell(); // the last one ended (exit, timeout): the command did not run
            return shell.isEmpty() ? handle.exec(command, timeout) : handle.execInShell(shell.getAsInt(), command, timeout);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (shell.isPresent() && handle.isAlive()) {
            try {
                handle.closeShell(shell.getAsInt());
            } catch (DummException e) {
                // the guest ends it with itself
            }
        }
    }
}
