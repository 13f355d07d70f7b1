package org.dumm.test.internal;

import java.nio.file.Path;
import java.util.List;

/**
 * A {@code checks.yaml} as read: the seconds to wait before checking (routing daemons converge)
 * and its checks in file order.
 */
record Checks(Path file, int convergenceSeconds, List<Check> checks) {

    static final String FILE = "checks.yaml";

    Checks {
        checks = List.copyOf(checks);
    }

    /** The devices the checks name, in order of first use. */
    List<String> devices() {
        return checks.stream().map(Check::device).distinct().toList();
    }
}
