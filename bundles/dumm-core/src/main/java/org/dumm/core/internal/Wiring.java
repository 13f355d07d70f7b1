package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dumm.api.Bridge;
import org.dumm.api.DummEvents;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.GuestState;
import org.dumm.api.Iface;
import org.dumm.api.Names;
import org.dumm.api.Transport;
import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.GuestHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's network: guests' interfaces, their links to bridges, their addresses, and the
 * bridges themselves. A change to a running guest is made on the host and in the guest at once;
 * one to a stopped guest is recorded and applied at its next boot. Locking as in {@link MeshModel}.
 */
final class Wiring {

    private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);

    private final MeshModel model;
    private final MeshEvents events;
    private final HostPorts ports;
    private final BridgeDriver bridgeDriver;

    Wiring(MeshModel model, MeshEvents events, HostPorts ports, BridgeDriver bridgeDriver) {
        this.model = model;
        this.events = events;
        this.ports = ports;
        this.bridgeDriver = bridgeDriver;
    }

    // ---- interfaces ----------------------------------------------------------------------------

    Iface addInterface(String guest, String iface, String bridge, String mac, Transport transport) {
        HostNames.checkIface(iface);
        String guestMac = mac == null || mac.isBlank() ? HostNames.mac(guest, iface) : HostNames.checkMac(mac);
        Transport t = transport == null ? Transport.TUNTAP : transport;
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            if (e.record.iface(iface).isPresent()) {
                throw new DummException(Reason.ALREADY_EXISTS, "guest '" + guest + "' already has interface " + iface);
            }
            if (bridge != null) {
                model.requireBridge(bridge);
            }
            if (e.state == GuestState.PAUSED || e.state == GuestState.UNAVAILABLE || e.state == GuestState.STARTING
                    || e.state == GuestState.STOPPING) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + guest + "' is " + e.state.name().toLowerCase()
                        + "; interfaces can be added while it runs or is stopped");
            }
            IfaceRecord record = model.locked(() -> {
                String tap = HostNames.tapName(guest, iface, model::nameInUse);
                // For a running guest createTap checks this on its way.
                if (!e.isUp() && ports.isForeign(tap)) {
                    throw new DummException(Reason.NOT_OWNED, "host device '" + tap + "' exists and is not Dumm's");
                }
                return new IfaceRecord(iface, tap, guestMac, t, bridge, List.of());
            });
            if (e.isUp()) {
                plugIntoRunning(e, record);
            } else {
                model.updateRecord(e, e.record.withIface(record));
            }
            events.post(DummEvents.IFACE_ADDED, guest, Map.of(DummEvents.IFACE, iface));
            return record.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    /** Hot-plugs a new interface into a running guest, recording it while the guest brings the link up. */
    private void plugIntoRunning(GuestEntry e, IfaceRecord record) {
        GuestHandle h = e.handle;
        boolean recorded = false;
        try {
            GuestHandle.Completion up = h.plugInterfaceUp(record.spec(),
                    () -> ports.createTap(e.record, record, h.pid()));
            try {
                // Recorded while the guest brings the link up (the device and its TAP
                // exist by now), and taken back below if that fails.
                model.updateRecord(e, e.record.withIface(record));
                recorded = true;
            } finally {
                up.await();
            }
        } catch (RuntimeException ex) {
            try {
                h.unplugInterface(record.name());
            } catch (RuntimeException ignored) {
                // it may never have been plugged
            }
            ports.deleteTaps(List.of(record.tap()));
            if (recorded) {
                try {
                    model.updateRecord(e, e.record.withoutIface(record.name()));
                } catch (RuntimeException again) {
                    ex.addSuppressed(again);
                }
            }
            throw ex;
        }
    }

    void removeInterface(String guest, String iface) {
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = MeshModel.iface(e, iface);
            requireNotBusy(e);
            if (e.isUp()) {
                e.handle.unplugInterface(iface);
            }
            ports.deleteTaps(List.of(i.tap()));
            model.updateRecord(e, e.record.withoutIface(iface));
            events.post(DummEvents.IFACE_REMOVED, guest, Map.of(DummEvents.IFACE, iface));
        } finally {
            e.lock.unlock();
        }
    }

    // ---- links ---------------------------------------------------------------------------------

    Iface connect(String guest, String iface, String bridge) {
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = MeshModel.iface(e, iface);
            model.requireBridge(bridge);
            if (bridge.equals(i.bridge())) {
                return i.toApi(guest);
            }
            if (e.isUp()) {
                ports.attach(i, bridge);
            }
            IfaceRecord updated = i.withBridge(bridge);
            model.updateRecord(e, e.record.withIface(updated));
            events.post(DummEvents.IFACE_CONNECTED, guest, Map.of(DummEvents.IFACE, iface, DummEvents.BRIDGE, bridge));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    Iface disconnect(String guest, String iface) {
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = MeshModel.iface(e, iface);
            if (i.bridge() == null) {
                throw new DummException(Reason.INVALID_STATE, "interface " + guest + "/" + iface + " is not connected");
            }
            if (e.isUp()) {
                ports.detach(i);
            }
            IfaceRecord updated = i.withBridge(null);
            model.updateRecord(e, e.record.withIface(updated));
            events.post(DummEvents.IFACE_DISCONNECTED, guest, Map.of(DummEvents.IFACE, iface, DummEvents.BRIDGE, i.bridge()));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    // ---- addresses -----------------------------------------------------------------------------

    Iface addAddress(String guest, String iface, String cidr) {
        return changeAddress(guest, iface, Cidr.normalize(cidr), true);
    }

    Iface removeAddress(String guest, String iface, String cidr) {
        return changeAddress(guest, iface, Cidr.normalize(cidr), false);
    }

    private Iface changeAddress(String guest, String iface, String address, boolean add) {
        GuestEntry e = model.entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = MeshModel.iface(e, iface);
            if (add && i.addresses().contains(address)) {
                throw new DummException(Reason.ALREADY_EXISTS, guest + "/" + iface + " already has address " + address);
            }
            if (!add && !i.addresses().contains(address)) {
                throw new DummException(Reason.NOT_FOUND, guest + "/" + iface + " has no address " + address);
            }
            requireNotBusy(e);
            if (e.isUp()) {
                String load = add && address.indexOf(':') >= 0 ? InGuest.LOAD_IPV6 : "";
                InGuest.runChecked(e.handle, load + "ip addr " + (add ? "add " : "del ") + address + " dev " + iface
                                + (add ? "" : restoreSecondaries(i, address)),
                        (add ? "adding " + address + " to " : "removing " + address + " from ") + guest + "/" + iface);
            }
            IfaceRecord updated = i.withAddress(address, add);
            model.updateRecord(e, e.record.withIface(updated));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    /**
     * Linux deletes the secondary IPv4 addresses of a subnet together with its primary one
     * (unless promote_secondaries is set): the other IPv4 addresses Dumm keeps on the interface
     * are added again, those that survived refuse quietly.
     */
    private static String restoreSecondaries(IfaceRecord i, String removed) {
        if (removed.indexOf(':') >= 0) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (String a : i.addresses()) {
            if (!a.equals(removed) && a.indexOf(':') < 0) {
                b.append("; ip addr add ").append(a).append(" dev ").append(i.name()).append(" 2>/dev/null");
            }
        }
        return b.isEmpty() ? "" : " && { :" + b + "; true; }";
    }

    // ---- bridges -------------------------------------------------------------------------------

    Bridge createBridge(String name) {
        Names.checkIfname("bridge", name);
        model.locked(() -> {
            if (model.hasBridge(name)) {
                throw new DummException(Reason.ALREADY_EXISTS, "bridge '" + name + "' already exists");
            }
            if (model.entries().stream().anyMatch(g -> g.record.interfaces().stream().anyMatch(i -> i.tap().equals(name)))) {
                throw new DummException(Reason.ALREADY_EXISTS, "'" + name + "' is the TAP name of a guest interface");
            }
            if (bridgeDriver.exists(name)) {
                if (!bridgeDriver.isOwned(name)) {
                    throw new DummException(Reason.NOT_OWNED, "a device named '" + name + "' exists on the host and is not Dumm's");
                }
                LOG.info("taking back Dumm's leftover bridge '{}'", name);
            } else {
                bridgeDriver.create(name);
            }
            model.addBridge(name);
            try {
                model.saveMesh();
            } catch (RuntimeException ex) {
                model.removeBridge(name);
                bridgeDriver.delete(name);
                throw ex;
            }
            return null;
        });
        events.post(DummEvents.BRIDGE_CREATED, name, Map.of());
        return bridge(name).orElseThrow();
    }

    void deleteBridge(String name) {
        model.requireBridge(name);
        // Detach the interfaces first, each under its own guest's lock.
        for (GuestEntry e : model.entries()) {
            for (IfaceRecord i : e.record.interfaces()) {
                if (name.equals(i.bridge())) {
                    disconnect(e.name, i.name());
                }
            }
        }
        model.locked(() -> {
            if (bridgeDriver.exists(name) && bridgeDriver.isOwned(name)) {
                bridgeDriver.delete(name);
            }
            model.removeBridge(name);
            model.saveMesh();
            return null;
        });
        events.post(DummEvents.BRIDGE_DELETED, name, Map.of());
    }

    Optional<Bridge> bridge(String name) {
        if (!model.hasBridge(name)) {
            return Optional.empty();
        }
        List<String> ports = bridgeDriver.exists(name) ? bridgeDriver.ports(name) : List.of();
        return Optional.of(new Bridge(name, ports));
    }

    List<Bridge> bridges() {
        List<Bridge> list = new ArrayList<>();
        for (String b : model.bridgeNames()) {
            bridge(b).ifPresent(list::add);
        }
        return list;
    }

    /** Bridges of the mesh: made again on the host where missing (a restart after a host reboot). */
    void restoreBridge(String bridge) {
        model.addBridge(bridge);
        try {
            if (!bridgeDriver.exists(bridge)) {
                bridgeDriver.create(bridge);
            } else if (!bridgeDriver.isOwned(bridge)) {
                LOG.warn("bridge '{}' exists on the host but is not Dumm's; leaving it alone", bridge);
            }
        } catch (DummException ex) {
            LOG.warn("cannot restore bridge '{}': {}", bridge, ex.getMessage());
        }
    }

    /** INVALID_STATE while a guest cannot take a change of its interfaces. */
    static void requireNotBusy(GuestEntry e) {
        GuestState s = e.state;
        if (s == GuestState.PAUSED || s == GuestState.UNAVAILABLE || s == GuestState.STARTING || s == GuestState.STOPPING) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + e.name + "' is " + s.name().toLowerCase());
        }
    }
}
