package org.dumm.uml.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Transport;
import org.dumm.api.spi.GuestHandle.Completion;
import org.dumm.api.spi.InterfaceSpec;

/**
 * The interfaces of one running UML guest: hot-plugged and removed over its mconsole, named and
 * brought up through its agent, restored after a reboot inside the guest. The guest checks its own
 * state (running, not paused) before it hands a request here.
 */
final class UmlInterfaces {

    private static final System.Logger LOG = System.getLogger(UmlInterfaces.class.getName());
    private static final Duration MCONSOLE_TIMEOUT = Duration.ofSeconds(5);
    /** How long a link-up or -down in the guest may take. */
    static final Duration LINK_WAIT = Duration.ofSeconds(10);

    private final UmlGuest guest;
    private final Mconsole mconsole;
    /** The interfaces the guest was started with (UML made them at boot). */
    private final List<InterfaceSpec> atBoot;
    /** Guest interface name to what was plugged (UML device derived from it). */
    private final Map<String, InterfaceSpec> interfaces = new ConcurrentHashMap<>();
    /** UML device (eth3, vec3) to the interface using it; changed under {@code interfaces}' lock. */
    private final Map<String, String> devices = new HashMap<>();

    UmlInterfaces(UmlGuest guest, Mconsole mconsole, List<InterfaceSpec> atBoot) {
        this.guest = guest;
        this.mconsole = mconsole;
        this.atBoot = List.copyOf(atBoot);
        for (InterfaceSpec i : atBoot) {
            interfaces.put(i.name(), i);
            devices.put(device(i), i.name());
        }
    }

    void plug(InterfaceSpec iface) {
        UmlBackend.checkTapExists(iface);
        String device = device(iface);
        synchronized (interfaces) {
            requireFree(iface, device);
            mconsole.call("config " + UmlBackend.deviceConfig(iface), MCONSOLE_TIMEOUT);
            try {
                renameIfNeeded(iface);
            } catch (DummException e) {
                mconsole.request("remove " + device, MCONSOLE_TIMEOUT); // roll back
                throw e;
            }
            added(iface, device);
        }
    }

    /**
     * UML binds a device to its TAP only when the guest brings it up (both transports open the
     * TAP in the device's open, not at config), so the TAP is made while the guest registers the
     * device, and the link-up is only asked for: the caller's own work overlaps the guest's.
     */
    Completion plugUp(InterfaceSpec iface, Runnable makeTap) {
        String device = device(iface);
        synchronized (interfaces) {
            requireFree(iface, device);
            Throwable[] tapFailure = new Throwable[1];
            Mconsole.Reply r = mconsole.request("config " + UmlBackend.deviceConfig(iface), MCONSOLE_TIMEOUT, () -> {
                try {
                    // No check that the TAP exists now: the first look at a new device costs
                    // the kernel ~0.1 ms here, on the connect's critical path. makeTap throws
                    // when it cannot make it (GuestHandle's contract).
                    makeTap.run();
                } catch (RuntimeException | Error e) {
                    tapFailure[0] = e;
                }
            });
            if (tapFailure[0] != null) {
                if (!r.error()) {
                    mconsole.request("remove " + device, MCONSOLE_TIMEOUT);
                }
                if (tapFailure[0] instanceof Error err) {
                    throw err;
                }
                throw (RuntimeException) tapFailure[0];
            }
            if (r.error()) {
                throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest.name() + "': mconsole 'config "
                        + UmlBackend.deviceConfig(iface) + "' failed: " + r.text());
            }
            AgentChannel.Call up;
            AgentChannel ch;
            try {
                renameIfNeeded(iface);
                long deadline = System.nanoTime() + LINK_WAIT.toNanos();
                ch = guest.channel(deadline);
                up = ch.send(AgentChannel.OP_IFUP, iface.name().getBytes(StandardCharsets.UTF_8), 0, 0, deadline);
            } catch (DummException e) {
                mconsole.request("remove " + device, MCONSOLE_TIMEOUT); // roll back
                throw e;
            }
            added(iface, device);
            return () -> {
                AgentChannel.Reply reply = ch.await(up, LINK_WAIT.toMillis());
                if (reply.agentError()) {
                    throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest.name() + "': " + reply.errText());
                }
            };
        }
    }

    private void requireFree(InterfaceSpec iface, String device) {
        if (interfaces.containsKey(iface.name())) {
            throw new DummException(Reason.ALREADY_EXISTS, "guest '" + guest.name() + "' already has interface '"
                    + iface.name() + "'");
        }
        String user = devices.get(device);
        if (user != null) {
            throw new DummException(Reason.ALREADY_EXISTS, "guest '" + guest.name() + "': interface '"
                    + iface.name() + "' needs UML device " + device + ", which '" + user + "' uses");
        }
    }

    private void added(InterfaceSpec iface, String device) {
        interfaces.put(iface.name(), iface);
        devices.put(device, iface.name());
    }

    void unplug(String ifaceName) {
        synchronized (interfaces) {
            InterfaceSpec known = interfaces.get(ifaceName);
            if (known == null && digitsAtEnd(ifaceName) == 0) {
                throw new DummException(Reason.NOT_FOUND, "guest '" + guest.name() + "' has no interface '" + ifaceName + "'");
            }
            // UML refuses to remove an interface that is up in the guest
            AgentChannel.Reply down = guest.agentCall(AgentChannel.OP_IFDOWN, ifaceName.getBytes(StandardCharsets.UTF_8),
                    LINK_WAIT);
            String downError = down.agentError() ? down.errText() : null;
            if (known == null && downError != null) {
                throw new DummException(Reason.NOT_FOUND, "guest '" + guest.name() + "' has no interface '" + ifaceName + "'");
            }
            // an interface Dumm does not know (plugged before a restart and not in the spec):
            // try the UML devices its number could mean that no known interface uses
            List<String> candidates = new ArrayList<>();
            if (known != null) {
                candidates.add(device(known));
            } else {
                for (String d : List.of("eth" + number(ifaceName), "vec" + number(ifaceName))) {
                    if (!devices.containsKey(d)) {
                        candidates.add(d);
                    }
                }
            }
            String lastError = "no UML device to remove";
            for (String device : candidates) {
                Mconsole.Reply r = mconsole.request("remove " + device, MCONSOLE_TIMEOUT);
                if (!r.error()) {
                    interfaces.remove(ifaceName);
                    devices.remove(device);
                    return;
                }
                lastError = device + ": " + r.text();
            }
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest.name() + "': unplugging '" + ifaceName
                    + "' failed (" + lastError + (downError != null ? "; ifdown: " + downError : "") + ")");
        }
    }

    void renameIfNeeded(InterfaceSpec iface) {
        String born = device(iface);
        if (born.equals(iface.name())) {
            return;
        }
        byte[] from = born.getBytes(StandardCharsets.UTF_8);
        byte[] to = iface.name().getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[from.length + 1 + to.length];
        System.arraycopy(from, 0, payload, 0, from.length);
        System.arraycopy(to, 0, payload, from.length + 1, to.length);
        AgentChannel.Reply r = guest.agentCall(AgentChannel.OP_RENAME, payload, Duration.ofSeconds(10));
        if (r.agentError()) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + guest.name() + "': naming interface "
                    + iface.name() + ": " + r.errText());
        }
    }

    /** Plugs the hot-plugged interfaces again and renames all: see UmlGuest#reapplyInterfaces. */
    void reapply() {
        synchronized (interfaces) {
            for (InterfaceSpec i : interfaces.values()) {
                try {
                    if (!atBoot.contains(i)) {
                        mconsole.request("config " + UmlBackend.deviceConfig(i), MCONSOLE_TIMEOUT);
                    }
                    renameIfNeeded(i);
                } catch (DummException e) {
                    LOG.log(System.Logger.Level.WARNING, "guest {0}: restoring interface {1} after a reboot: {2}",
                            guest.name(), i.name(), e.getMessage());
                }
            }
        }
    }

    /** The UML device of an interface: ethN for tuntap, vecN for vector, N from the name. */
    static String device(InterfaceSpec iface) {
        return (iface.transport() == Transport.VECTOR ? "vec" : "eth") + number(iface.name());
    }

    static int number(String ifaceName) {
        int digits = digitsAtEnd(ifaceName);
        if (digits == 0 || digits > 4) {
            throw new DummException(Reason.INVALID_ARGUMENT, "interface name '" + ifaceName
                    + "' must end in a number (UML numbers its devices, e.g. eth0)");
        }
        return Integer.parseInt(ifaceName, ifaceName.length() - digits, ifaceName.length(), 10);
    }

    /** How many ASCII digits the name ends in (a loop: this runs on every connect, often interpreted). */
    private static int digitsAtEnd(String name) {
        int k = name.length();
        while (k > 0 && name.charAt(k - 1) >= '0' && name.charAt(k - 1) <= '9') {
            k--;
        }
        return name.length() - k;
    }
}
