package org.dumm.uml.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.nativ.DescriptorConsole;

/**
 * A UML guest's interactive console (guest /dev/tty1 on the pty Dumm gave UML as con1). A resize
 * sets the host pty's window size (TIOCSWINSZ), and, because UML reads that size only when the
 * guest opens the tty (its SIGWINCH watcher is not started for a channel on a pty's master end),
 * also the guest tty's own, through the exec agent: {@code stty -F /dev/tty1 rows R cols C}, after
 * which the guest kernel sends SIGWINCH to the shell there, as for any terminal.
 */
final class UmlConsole implements ConsoleSession {

    private static final Duration STTY_TIMEOUT = Duration.ofSeconds(5);

    private final DescriptorConsole pty;
    private final UmlGuest guest;

    UmlConsole(DescriptorConsole pty, UmlGuest guest) {
        this.pty = pty;
        this.guest = guest;
    }

    @Override
    public InputStream output() {
        return pty.output();
    }

    @Override
    public OutputStream input() {
        return pty.input();
    }

    @Override
    public String device() {
        return pty.device();
    }

    @Override
    public void resize(int rows, int cols) {
        pty.resize(rows, cols);     // checks the range; fails when detached
        ExecResult r = guest.exec("stty -F /dev/tty" + UmlBackend.USER_CONSOLE + " rows " + rows + " cols " + cols,
                STTY_TIMEOUT);
        if (r.exitStatus() != 0) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest.name() + "': setting its console's size: "
                    + r.stderrText().strip());
        }
    }

    @Override
    public void close() throws IOException {
        pty.close();
    }
}
