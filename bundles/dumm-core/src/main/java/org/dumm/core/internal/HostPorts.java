package org.dumm.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.PortKind;
import org.dumm.api.spi.TapDriver;
import org.dumm.api.spi.UnionFs;
import org.dumm.api.spi.VethDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of guests: each interface's host device (a TAP, or a veth pair for a backend
 * whose {@link PortKind} says so) and its port on a bridge, and a guest's mounted root. Makes them, checks them after a re-adoption and removes them, touching only
 * devices the drivers' ledger says are Dumm's. Callers hold the guest's lock.
 */
final class HostPorts {

    private static final Logger LOG = LoggerFactory.getLogger(HostPorts.class);

    private final TapDriver taps;
    private final BridgeDriver bridgeDriver;
    private final UnionFs unionFs;
    private final MeshStore store;
    private final Supplier<VethDriver> veths;
    private final Function<GuestRecord, PortKind> kinds;

    HostPorts(TapDriver taps, BridgeDriver bridgeDriver, UnionFs unionFs, MeshStore store) {
        this(taps, bridgeDriver, unionFs, store, () -> null, g -> PortKind.TAP);
    }

    /**
     * @param veths the veth driver when there is one (null: guests of VETH backends cannot start)
     * @param kinds the port kind a guest's backend asks for
     */
    HostPorts(TapDriver taps, BridgeDriver bridgeDriver, UnionFs unionFs, MeshStore store,
              Supplier<VethDriver> veths, Function<GuestRecord, PortKind> kinds) {
        this.taps = taps;
        this.bridgeDriver = bridgeDriver;
        this.unionFs = unionFs;
        this.store = store;
        this.veths = veths;
        this.kinds = kinds;
    }

    private VethDriver veths() {
        VethDriver v = veths.get();
        if (v == null) {
            throw new DummException(Reason.BACKEND_UNAVAILABLE, "no veth driver (bundle dumm-tap) is available");
        }
        return v;
    }

    /** A Dumm veth of that name, whether or not any backend is present. */
    private boolean isOwnedVeth(String name) {
        VethDriver v = veths.get();
        return v != null && v.owner(name).isPresent();
    }

    /** The owner recorded with a TAP in the device ledger. */
    private static String owner(GuestRecord g, IfaceRecord i) {
        return g.name() + ":" + i.name();
    }

    /** True when a device of this name exists on the host and is not Dumm's. */
    boolean isForeign(String tap) {
        return taps.exists(tap) && taps.owner(tap).isEmpty() && !isOwnedVeth(tap);
    }

    /**
     * True when the guest's backend takes veths ({@link PortKind#VETH}): their peers are made in
     * the guest's namespace once it runs, so its ports come after the backend's start.
     */
    boolean madeAfterStart(GuestRecord g) {
        return kinds.apply(g) == PortKind.VETH;
    }

    /** Creates an interface's TAP, up and attached to its bridge; leaves nothing on failure. */
    void createTap(GuestRecord g, IfaceRecord i) {
        createTap(g, i, 0);
    }

    /**
     * As above, for an interface of the running guest whose first process is {@code guestPid}: a
     * veth's peer is made directly in that process's network namespace, named and addressed as
     * the interface ({@link PortKind#VETH}); a TAP is made as ever.
     */
    void createTap(GuestRecord g, IfaceRecord i, long guestPid) {
        if (kinds.apply(g) == PortKind.VETH) {
            createVeth(g, i, guestPid);
            return;
        }
        try {
            createTapOnBridge(g, i);
        } catch (DummException ex) {
            // The name is taken (the kernel refuses to reuse a device: IFF_TUN_EXCL). Looked at
            // only now, so that the usual case costs no lookup: a TAP of Dumm's left behind by a
            // crash is replaced, anything else is not Dumm's to touch.
            if (ex.reason() != Reason.ALREADY_EXISTS) {
                throw ex;
            }
            if (taps.owner(i.tap()).isEmpty()) {
                throw new DummException(Reason.NOT_OWNED, "host device '" + i.tap() + "' exists and is not Dumm's");
            }
            taps.delete(i.tap());
            createTapOnBridge(g, i);
        }
    }

    /** As {@link #createTap} for a veth pair: Dumm's leftover of the name is replaced, a foreign device refused. */
    private void createVeth(GuestRecord g, IfaceRecord i, long guestPid) {
        VethDriver v = veths();
        for (int attempt = 0; ; attempt++) {
            try {
                if (guestPid > 0) {
                    v.createUpInto(i.tap(), owner(g, i), i.bridge(), guestPid, i.name(), i.mac());
                } else {
                    v.createUp(i.tap(), owner(g, i), i.bridge());
                }
                return;
            } catch (DummException ex) {
                if (attempt > 0) {
                    throw ex;
                }
                if (ex.reason() == Reason.NOT_FOUND && i.bridge() != null && !bridgeDriver.exists(i.bridge())) {
                    bridgeDriver.create(i.bridge());
                    continue;
                }
                if (ex.reason() != Reason.ALREADY_EXISTS) {
                    throw ex;
                }
                String peer = VethDriver.peerName(i.tap());
                for (String name : List.of(i.tap(), peer)) {
                    if (v.exists(name) && v.owner(name).isEmpty()) {
                        throw new DummException(Reason.NOT_OWNED, "host device '" + name + "' exists and is not Dumm's");
                    }
                }
                v.deleteAll(List.of(i.tap(), peer));
            }
        }
    }

    private void createTapOnBridge(GuestRecord g, IfaceRecord i) {
        try {
            taps.createUp(i.tap(), owner(g, i), null, i.bridge());
        } catch (DummException ex) {
            // A bridge of the mesh removed from the host behind Dumm's back is made again.
            if (ex.reason() != Reason.NOT_FOUND || i.bridge() == null || bridgeDriver.exists(i.bridge())) {
                throw ex;
            }
            bridgeDriver.create(i.bridge());
            taps.createUp(i.tap(), owner(g, i), null, i.bridge());
        }
    }

    /** After a re-adoption: the TAP must still exist (the guest holds it) and sit on its bridge. */
    void ensureTap(GuestRecord g, IfaceRecord i) {
        if (kinds.apply(g) == PortKind.VETH && !veths().exists(i.tap())) {
            // The peer lives in the guest's namespace: a pair made now could not reach it.
            LOG.warn("veth '{}' of running guest '{}' is gone; its interface {} has no host end until it is "
                    + "connected again", i.tap(), g.name(), i.name());
            return;
        }
        if (!taps.exists(i.tap())) {
            LOG.warn("TAP '{}' of running guest '{}' is gone; recreating it unattached to the guest", i.tap(), g.name());
            createTap(g, i);
            return;
        }
        if (i.bridge() != null) {
            if (!bridgeDriver.exists(i.bridge())) {
                bridgeDriver.create(i.bridge());
            }
            if (!bridgeDriver.ports(i.bridge()).contains(i.tap())) {
                bridgeDriver.addPort(i.bridge(), i.tap());
            }
        }
    }

    /** Moves a running guest's interface from the bridge it is on (if any) to {@code bridge}. */
    void attach(IfaceRecord i, String bridge) {
        if (!taps.exists(i.tap())) {
            return;
        }
        if (i.bridge() != null && bridgeDriver.ports(i.bridge()).contains(i.tap())) {
            bridgeDriver.removePort(i.bridge(), i.tap());
        }
        bridgeDriver.addPort(bridge, i.tap());
    }

    /** Takes a running guest's interface off its bridge, if it is still there. */
    void detach(IfaceRecord i) {
        if (bridgeDriver.exists(i.bridge()) && bridgeDriver.ports(i.bridge()).contains(i.tap())) {
            bridgeDriver.removePort(i.bridge(), i.tap());
        }
    }

    /** Deletes those of the TAPs that exist, in one batch. */
    void deleteTaps(List<String> names) {
        VethDriver v = veths.get();
        Set<String> ownedVeths = v == null ? Set.of() : Set.copyOf(v.listOwned());
        List<String> vethNames = names.stream().filter(ownedVeths::contains).toList();
        List<String> present = names.stream().filter(n -> !ownedVeths.contains(n)).filter(taps::exists).toList();
        RuntimeException failure = null;
        if (!vethNames.isEmpty()) {
            try {
                v.deleteAll(vethNames);
            } catch (RuntimeException ex) {
                failure = ex;
            }
        }
        if (!present.isEmpty()) {
            taps.deleteAll(present);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Removes a stopped guest's TAPs and root mount; safe to call when there is nothing. */
    void releaseHostResources(GuestRecord g) {
        releaseHostResources(g, null);
    }

    /** As above; with {@code deferredTaps} the TAPs are recorded there (by guest) instead of deleted. */
    void releaseHostResources(GuestRecord g, Map<String, List<String>> deferredTaps) {
        List<String> names = new ArrayList<>();
        for (IfaceRecord i : g.interfaces()) {
            if (taps.exists(i.tap()) && (taps.owner(i.tap()).isPresent() || isOwnedVeth(i.tap()))) {
                names.add(i.tap());
            }
            if (kinds.apply(g) == PortKind.VETH && isOwnedVeth(VethDriver.peerName(i.tap()))) {
                names.add(VethDriver.peerName(i.tap())); // a pair whose peer never reached the guest
            }
        }
        RuntimeException failure = null;
        if (deferredTaps != null && !names.isEmpty()) {
            deferredTaps.put(g.name(), names);
        } else if (!names.isEmpty()) {
            try {
                deleteTaps(names);
            } catch (RuntimeException ex) {
                failure = ex;
            }
        }
        Path union = store.guestDir(g.name()).resolve("union");
        if (unionFs.isMounted(union)) {
            unionFs.unmount(union);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
