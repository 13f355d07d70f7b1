package org.dumm.api;

import java.time.Duration;

/**
 * What to capture: a guest's interface ({@code guest} and {@code iface}) or a whole segment
 * ({@code bridge}), into {@code file} (absolute; a FIFO works too), optionally filtered with a
 * tcpdump expression, ended after {@code count} frames (0: no limit) or {@code duration} (null:
 * no limit), else by capture-stop or when the interface goes away.
 */
public record CaptureRequest(String guest, String iface, String bridge, String filter, String file, long count,
                             Duration duration) {

    /** A guest interface's capture. */
    public static CaptureRequest iface(String guest, String iface, String file) {
        return new CaptureRequest(guest, iface, null, null, file, 0, null);
    }

    /** A segment's capture. */
    public static CaptureRequest bridge(String bridge, String file) {
        return new CaptureRequest(null, null, bridge, null, file, 0, null);
    }

    public CaptureRequest withFilter(String expression) {
        return new CaptureRequest(guest, iface, bridge, expression, file, count, duration);
    }

    public CaptureRequest withCount(long n) {
        return new CaptureRequest(guest, iface, bridge, filter, file, n, duration);
    }

    public CaptureRequest withDuration(Duration d) {
        return new CaptureRequest(guest, iface, bridge, filter, file, count, d);
    }
}
