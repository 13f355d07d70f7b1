package org.dumm.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Result of a command run inside a guest.
 *
 * @param exitStatus exit status of the command (128+N when killed by signal N)
 * @param stdout     its standard output, byte for byte (may be truncated, see {@code truncated})
 * @param stderr     its standard error
 * @param duration   wall time from request to answer, as seen by the host
 * @param timedOut   true when the command was killed because it exceeded its timeout
 * @param truncated  true when output beyond the cap was dropped
 */
public record ExecResult(int exitStatus, byte[] stdout, byte[] stderr, Duration duration,
                         boolean timedOut, boolean truncated) {

    /** Standard output decoded as UTF-8. */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** Standard error decoded as UTF-8. */
    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    /** True when the command exited with status 0 and was not killed. */
    public boolean succeeded() {
        return exitStatus == 0 && !timedOut;
    }
}
