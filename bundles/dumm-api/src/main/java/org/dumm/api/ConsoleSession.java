package org.dumm.api;

import java.io.Closeable;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An interactive stream to a guest's console (a terminal the guest runs a shell or getty on).
 * Closing it detaches; the guest keeps running.
 */
public interface ConsoleSession extends Closeable {
    /** What the guest writes to its console. */
    InputStream output();

    /** What is typed into the guest's console. */
    OutputStream input();

    /** The host device behind it (e.g. {@code /dev/pts/7}), for users who prefer screen/minicom. */
    String device();

    /**
     * Sets the console's window size, as a terminal emulator does when its window changes: the
     * guest's programs see it ({@code stty size}, SIGWINCH). Backends whose console has no window
     * size refuse with {@link DummException.Reason#INVALID_STATE}.
     *
     * @param rows lines, 1..1000
     * @param cols columns, 1..1000
     */
    default void resize(int rows, int cols) {
        throw new DummException(DummException.Reason.INVALID_STATE, "console " + device() + " has no window size");
    }
}
