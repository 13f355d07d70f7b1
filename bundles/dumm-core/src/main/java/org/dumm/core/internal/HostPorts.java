package org.dumm.core.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.TapDriver;
import org.dumm.api.spi.UnionFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of guests: each interface's TAP and its port on a bridge, and a guest's
 * mounted root. Makes them, checks them after a re-adoption and removes them, touching only
 * devices the drivers' ledger says are Dumm's. Callers hold the guest's lock.
 */
final class HostPorts {

    private static final Logger LOG = LoggerFactory.getLogger(HostPorts.class);

    private final TapDriver taps;
    private final BridgeDriver bridgeDriver;
    private final UnionFs unionFs;
    private final MeshStore store;

    HostPorts(TapDriver taps, BridgeDriver bridgeDriver, UnionFs unionFs, MeshStore store) {
        this.taps = taps;
        this.bridgeDriver = bridgeDriver;
        this.unionFs = unionFs;
        this.store = store;
    }

    /** The owner recorded with a TAP in the device ledger. */
    private static String owner(GuestRecord g, IfaceRecord i) {
        return g.name() + ":" + i.name();
    }

    /** True when a device of this name exists on the host and is not Dumm's. */
    boolean isForeign(String tap) {
        return taps.exists(tap) && taps.owner(tap).isEmpty();
    }

    /** Creates an interface's TAP, up and attached to its bridge; leaves nothing on failure. */
    void createTap(GuestRecord g, IfaceRecord i) {
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
        List<String> present = names.stream().filter(taps::exists).toList();
        if (!present.isEmpty()) {
            taps.deleteAll(present);
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
            if (taps.exists(i.tap()) && taps.owner(i.tap()).isPresent()) {
                names.add(i.tap());
            }
        }
        RuntimeException failure = null;
        if (deferredTaps != null && !names.isEmpty()) {
            deferredTaps.put(g.name(), names);
        } else if (!names.isEmpty()) {
            try {
                taps.deleteAll(names);
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
