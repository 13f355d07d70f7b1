package org.dumm.netns.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a netns guest's console is: the launcher opens a pty of the guest's own {@code /dev/pts}
 * and leaves its master at {@link #FD} in the guest's first process, whose copy the host takes
 * (pidfd_getfd) for a {@link org.dumm.nativ.DescriptorConsole}. The guest's console keeper holds
 * the terminal end and starts a login shell there when a line is typed.
 */
final class NetnsConsole {

    /** Where the launcher leaves the console pty's master in the guest's first process. */
    static final int FD = 12;

    private NetnsConsole() {
    }

    /** The terminal end as the host sees it: {@code /proc/PID/root/dev/pts/N}, N from the master's fdinfo. */
    static String deviceOf(int pid) {
        String index = "0";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + FD))) {
                if (line.startsWith("tty-index:")) {
                    index = line.substring("tty-index:".length()).trim();
                }
            }
        } catch (IOException e) {
            // the first pty of the guest's devpts instance, as the launcher opens it
        }
        return "/proc/" + pid + "/root/dev/pts/" + index;
    }
}
