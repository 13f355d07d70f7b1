package org.dumm.core.internal;

import java.time.Duration;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.spi.GuestHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the mesh itself runs inside a guest: interface set-up, addresses, the startup script. */
final class InGuest {

    private static final Logger LOG = LoggerFactory.getLogger(InGuest.class);
    private static final Duration ADDRESS_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** Run inside a guest after each boot, once its interfaces have their addresses. */
    static final String STARTUP_SCRIPT = "/etc/dumm/startup";

    private InGuest() {
    }

    /**
     * Brings interfaces up inside the guest (through the backend: for UML an ioctl in the agent,
     * no process, where {@code ip link set up} costs 5-30 ms of forking under UML), then sets
     * their addresses, all in one exec.
     */
    static void configureInterfaces(GuestHandle h, List<IfaceRecord> ifaces) {
        StringBuilder cmd = new StringBuilder("set -e");
        for (IfaceRecord i : ifaces) {
            h.setLinkUp(i.name(), true);
            for (String a : i.addresses()) {
                cmd.append("; ip addr add ").append(a).append(" dev ").append(i.name());
            }
        }
        if (cmd.length() > "set -e".length()) {
            runChecked(h, cmd.toString(), "configuring interfaces of " + h.name());
        }
    }

    /**
     * Runs the guest's own {@code /etc/dumm/startup} (routes, forwarding, daemons) once its
     * interfaces are configured, like a Netkit/Kathará {@code .startup} file. A failing script is
     * logged, not fatal: the guest is up and the user can look inside.
     */
    static void runStartupScript(GuestHandle h) {
        ExecResult r = h.exec("[ ! -f " + STARTUP_SCRIPT + " ] || /bin/sh " + STARTUP_SCRIPT, STARTUP_TIMEOUT);
        if (!r.succeeded()) {
            LOG.warn("{} of guest '{}' failed (status {}): {}", STARTUP_SCRIPT, h.name(), r.exitStatus(), r.stderrText().trim());
        }
    }

    /** Runs a command of the mesh's own in the guest; GUEST_FAILURE, with its stderr, when it fails. */
    static void runChecked(GuestHandle h, String command, String what) {
        ExecResult r = h.exec(command, ADDRESS_TIMEOUT);
        if (!r.succeeded()) {
            throw new DummException(Reason.GUEST_FAILURE, what + " failed (status " + r.exitStatus() + "): "
                    + r.stderrText().trim());
        }
    }
}
