package org.dumm.test.internal;

import java.util.regex.Pattern;

/**
 * One declarative check of a {@code checks.yaml}, on one device (a scenario host or a lab
 * device), with the line it was written on. {@code absent} checks are written with a leading
 * {@code !}: the thing must not be there.
 */
sealed interface Check {

    int line();

    String device();

    /** {@code ip_mapping}: the interface carries this address with this prefix length. */
    record Address(int line, String device, String iface, String cidr) implements Check {
    }

    /** {@code kernel_routes}: a route to {@code destination}, through {@code via} and {@code dev} when given. */
    record Route(int line, String device, String destination, String via, String dev, boolean absent) implements Check {
    }

    /** {@code daemons}: a process with this name runs (or, {@code absent}, none does). */
    record Daemon(int line, String device, String name, boolean absent) implements Check {
    }

    /** {@code reachability}: the device gets an answer to a ping of {@code target} (an address or a device). */
    record Reach(int line, String device, String target, boolean absent) implements Check {
    }

    /** {@code custom_commands}: a command's exit status, exact output and/or an output regex. */
    record Command(int line, String device, String command, Integer exitCode, String expectedOutput, Pattern regex)
            implements Check {
    }
}
