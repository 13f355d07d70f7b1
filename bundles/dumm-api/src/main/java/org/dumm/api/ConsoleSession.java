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
}
