package org.dumm.core.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.Startup;
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
    /** Where the startup's exit status is kept in the guest (for users and scripts). */
    static final String STARTUP_STATUS = "/run/dumm/startup.status";
    /**
     * Run inside a guest before a graceful stop (like Netkit/Kathará's {@code DEV.shutdown}), when
     * the guest's root has it; its output goes to {@link #SHUTDOWN_LOG}.
     */
    static final String SHUTDOWN_SCRIPT = "/etc/dumm/shutdown";
    static final String SHUTDOWN_LOG = "/var/log/shutdown.log";
    /** The most a shutdown script may take, however long the stop's timeout. */
    private static final Duration SHUTDOWN_MAX = Duration.ofSeconds(30);

    private InGuest() {
    }

    /**
     * Brings interfaces up inside the guest (through the backend: for UML an ioctl in the agent,
     * no process, where {@code ip link set up} costs 5-30 ms of forking under UML), then sets
     * their addresses, all in one exec.
     */
    static void configureInterfaces(GuestHandle h, List<IfaceRecord> ifaces) {
        StringBuilder cmd = new StringBuilder("set -e");
        boolean ipv6 = false;
        for (IfaceRecord i : ifaces) {
            h.setLinkUp(i.name(), true);
            for (String a : i.addresses()) {
                ipv6 |= a.indexOf(':') >= 0;
                cmd.append("; ip addr add ").append(a).append(" dev ").append(i.name());
            }
        }
        if (cmd.length() > "set -e".length()) {
            runChecked(h, (ipv6 ? LOAD_IPV6 : "") + cmd, "configuring interfaces of " + h.name());
        }
    }

    /**
     * Debian's UML kernel builds IPv6 as a module: loaded before the first IPv6 address is set
     * (a test and no process when it is loaded already).
     */
    static final String LOAD_IPV6 = "[ -d /proc/sys/net/ipv6 ] || modprobe ipv6; ";

    /**
     * Runs the guest's own {@code /etc/dumm/startup} (routes, forwarding, daemons), like a
     * Netkit/Kathará {@code .startup} file, its output into {@link Startup#LOG} and its status
     * into {@link #STARTUP_STATUS}. Shell built-ins only besides the script: under UML every
     * process a guest starts costs milliseconds.
     */
    private static final String RUN_STARTUP = "[ -d /var/log ] || mkdir -p /var/log; [ -d /run/dumm ] || mkdir -p /run/dumm; "
            + "s=0; if [ -f " + STARTUP_SCRIPT + " ]; then /bin/sh " + STARTUP_SCRIPT + " >" + Startup.LOG + " 2>&1 </dev/null; s=$?; "
            + "fi; echo $s >" + STARTUP_STATUS + "; exit $s";
    /**
     * A systemd guest's services are not up when its agent answers: its startup waits until
     * systemd has finished booting. The guest's PID 1 tells (its init wrapper has exec'd the
     * master's init by the time the host asks).
     */
    private static final String SYSTEMD_OR_RUN_STARTUP = "read c </proc/1/comm; if [ \"$c\" = systemd ] "
            + "|| { [ \"$c\" = init ] && [ /sbin/init -ef /lib/systemd/systemd ]; }; then echo systemd; exit 0; fi; "
            + RUN_STARTUP;
    /**
     * systemctl answers at once, without waiting, while systemd's own socket is not there yet
     * (seen: the first exec came before it): wait for the socket first, then for the boot.
     */
    private static final String WAIT_FOR_SYSTEMD_THEN_STARTUP = "i=0; while [ ! -S /run/systemd/private ] && [ $i -lt 600 ]; "
            + "do sleep 0.1; i=$((i+1)); done; systemctl is-system-running --wait >/dev/null 2>&1; " + RUN_STARTUP;
    private static final Duration SYSTEMD_BOOT_TIMEOUT = Duration.ofSeconds(180);

    /**
     * Runs the startup right away, or, in a systemd guest, tells the caller to run
     * {@link #startupAfterBoot} later (returns null). A failing script is logged, not fatal:
     * the guest is up and the user can look inside.
     */
    static Startup startupNowUnlessSystemd(GuestHandle h) {
        ExecResult r = h.exec(SYSTEMD_OR_RUN_STARTUP, STARTUP_TIMEOUT);
        if (r.succeeded() && r.stdoutText().trim().equals("systemd")) {
            return null;
        }
        return finished(h, r);
    }

    /** A systemd guest's startup: once systemd has finished booting. */
    static Startup startupAfterBoot(GuestHandle h) {
        return finished(h, h.exec(WAIT_FOR_SYSTEMD_THEN_STARTUP, SYSTEMD_BOOT_TIMEOUT.plus(STARTUP_TIMEOUT)));
    }

    private static Startup finished(GuestHandle h, ExecResult r) {
        if (!r.succeeded()) {
            LOG.warn("{} of guest '{}' failed (status {}{}); its output is in {} in the guest", STARTUP_SCRIPT, h.name(),
                    r.exitStatus(), r.timedOut() ? ", timed out" : "", Startup.LOG);
        }
        return new Startup(Startup.State.DONE, r.timedOut() ? -1 : r.exitStatus());
    }

    /**
     * Runs the guest's {@link #SHUTDOWN_SCRIPT} when its root (the union mount, as the host sees
     * it) has one: a test on the host, so that guests without it pay no exec. Gets half the stop's
     * timeout (at most {@link #SHUTDOWN_MAX}) so the backend's own graceful stop keeps the other
     * half. A failing or hanging script is logged and never keeps the guest from stopping.
     *
     * @return the time it took (zero when there was none)
     */
    static Duration runShutdown(GuestHandle h, Path root, Duration stopTimeout) {
        Duration budget = stopTimeout.dividedBy(2);
        if (budget.compareTo(SHUTDOWN_MAX) > 0) {
            budget = SHUTDOWN_MAX;
        }
        // no time given (a stop that kills at once) leaves none for a script
        if (budget.isZero() || budget.isNegative() || root == null
                || !Files.isRegularFile(root.resolve(SHUTDOWN_SCRIPT.substring(1)))) {
            return Duration.ZERO;
        }
        long t0 = System.nanoTime();
        try {
            ExecResult r = h.exec("[ -d /var/log ] || mkdir -p /var/log; /bin/sh " + SHUTDOWN_SCRIPT + " >" + SHUTDOWN_LOG
                    + " 2>&1 </dev/null", budget);
            if (!r.succeeded()) {
                LOG.warn("{} of guest '{}' failed (status {}{}); stopping it anyway", SHUTDOWN_SCRIPT, h.name(),
                        r.exitStatus(), r.timedOut() ? ", timed out after " + budget.toMillis() + " ms" : "");
            }
        } catch (RuntimeException ex) {
            LOG.warn("{} of guest '{}' could not run ({}); stopping it anyway", SHUTDOWN_SCRIPT, h.name(), ex.getMessage());
        }
        return Duration.ofNanos(System.nanoTime() - t0);
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
