package org.dumm.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Names that keep one test run apart from a Dumm on the host and from other test runs on the
 * machine at the same time: a device marker (alias prefix and device group) and a work dir of
 * its own, derived from the pid of the JVM that runs the tests.
 */
final class Isolation {

    private static final long PID = ProcessHandle.current().pid();

    private Isolation() {
    }

    /** Four base-36 characters, unique among the processes running now. */
    static String tag() {
        String t = Long.toString(PID % (36L * 36 * 36 * 36), 36);
        return "0000".substring(t.length()) + t;
    }

    /** Alias prefix marking the host devices of one Dumm instance of this run. */
    static String aliasPrefix(String what) {
        return "dmitest-" + what + "-" + tag() + ":";
    }

    /**
     * Device group of one Dumm instance of this run (slot 0, 1, …). Each instance gets its own
     * group and scratch group (group + 1), far from the default 3866 and from other helpers'.
     */
    static int deviceGroup(int slot) {
        return 3_921_000 + (int) (PID % 100_000) * 8 + slot * 2;
    }

    /**
     * A work dir for Dumm: {@code preferred} when UML's socket paths below it stay short
     * (guests/NAME/run/NAME/mconsole must fit the 108 bytes of a unix socket address, for names
     * up to 12 characters), else a fresh directory in /tmp. What an earlier run left in
     * {@code preferred} is removed first.
     */
    static Path workDir(Path preferred) {
        Path p = preferred.toAbsolutePath().normalize();
        int longest = p.toString().length() + "/guests/".length() + 12 + "/run/".length() + 12 + "/mconsole".length();
        try {
            if (longest < 108 && Host.deleteTree(p)) {
                Files.createDirectories(p);
                return p;
            }
            return Files.createTempDirectory(Path.of("/tmp"), "dmi-" + tag() + "-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a work dir: " + e, e);
        }
    }
}
