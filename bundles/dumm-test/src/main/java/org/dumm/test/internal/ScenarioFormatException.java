package org.dumm.test.internal;

import java.nio.file.Path;

/** A scenario file that is missing or malformed; the message names the file and, where known, the line. */
final class ScenarioFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ScenarioFormatException(Path file, int line, String message) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message);
    }
}
