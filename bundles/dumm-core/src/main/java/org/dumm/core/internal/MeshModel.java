package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.GuestBackend;

/**
 * The mesh's model at run time — guests by name, bridges, the backends present — and the one
 * way its changes reach the disk ({@link MeshStore}). Every part of the mesh (life cycle,
 * wiring, layers) works on this model and follows one locking discipline:
 * <ol>
 * <li><b>A guest's lock</b> ({@link GuestEntry#lock}) serialises everything that changes that
 * guest: its life cycle, interfaces, links and addresses. It is held across the slow work (a
 * boot, a call into the guest), so operations on one guest queue up while other guests go on.</li>
 * <li><b>The model lock</b> ({@link #locked}) guards structural changes — a guest or bridge added
 * or removed, a guest's record replaced — together with their persistence, so the files always
 * describe one consistent model. It is held briefly, never across a boot or a call into a
 * guest, and is taken <em>after</em> a guest's lock, never before one.</li>
 * <li><b>Several guests' locks</b> are taken in name order ({@link #withAllGuestsLocked}, the
 * order of {@link #entries}), so that a template switch and a bulk stop cannot deadlock.</li>
 * <li>Readers take no lock: {@link GuestEntry}'s fields are volatile and the collections here
 * are concurrent, so listings never wait for a boot.</li>
 * </ol>
 */
final class MeshModel {

    private final Map<String, GuestBackend> backends;
    private final Map<String, GuestEntry> guests = new ConcurrentSkipListMap<>();
    private final Set<String> bridges = new ConcurrentSkipListSet<>();
    private final ReentrantLock modelLock = new ReentrantLock();
    private final MeshStore store;

    /** @param backends the bound backends by name, kept up to date by the component */
    MeshModel(MeshStore store, Map<String, GuestBackend> backends) {
        this.store = store;
        this.backends = backends;
    }

    MeshStore store() {
        return store;
    }

    // ---- backends ------------------------------------------------------------------------------

    Map<String, GuestBackend> backends() {
        return backends;
    }

    /** The backend of a guest; BACKEND_UNAVAILABLE when its bundle is gone. */
    GuestBackend backend(GuestRecord r) {
        GuestBackend b = backends.get(r.backend());
        if (b == null) {
            throw new DummException(Reason.BACKEND_UNAVAILABLE, "backend '" + r.backend() + "' of guest '" + r.name() + "' is not available");
        }
        return b;
    }

    // ---- guests --------------------------------------------------------------------------------

    /** The guest of that name; NOT_FOUND otherwise. */
    GuestEntry entry(String name) {
        GuestEntry e = name == null ? null : guests.get(name);
        if (e == null) {
            throw new DummException(Reason.NOT_FOUND, "guest '" + name + "' does not exist");
        }
        return e;
    }

    /** The guest of that name, or null. */
    GuestEntry find(String name) {
        return guests.get(name);
    }

    /** All guests in name order. */
    Collection<GuestEntry> entries() {
        return guests.values();
    }

    boolean hasGuest(String name) {
        return guests.containsKey(name);
    }

    /** Adds a guest; the caller holds the model lock and has saved its record. */
    void putGuest(GuestEntry e) {
        guests.put(e.name, e);
    }

    /** Removes a guest from the model and its files from the disk, under the model lock. */
    void removeGuest(String name) {
        locked(() -> {
            guests.remove(name);
            store.deleteGuest(name);
            saveMesh();
            return null;
        });
    }

    /** An interface of a guest; NOT_FOUND otherwise. */
    static IfaceRecord iface(GuestEntry e, String iface) {
        return e.record.iface(iface).orElseThrow(() -> new DummException(Reason.NOT_FOUND,
                "guest '" + e.name + "' has no interface '" + iface + "'"));
    }

    /**
     * Replaces a guest's record and persists it; the old record stays if saving fails. The caller
     * holds the guest's lock.
     */
    void updateRecord(GuestEntry e, GuestRecord record) {
        modelLock.lock();
        try {
            GuestRecord old = e.record;
            e.record = record;
            try {
                store.saveGuest(record);
                saveMesh();
            } catch (RuntimeException ex) {
                e.record = old;
                throw ex;
            }
        } finally {
            modelLock.unlock();
        }
    }

    // ---- bridges -------------------------------------------------------------------------------

    Set<String> bridgeNames() {
        return bridges;
    }

    boolean hasBridge(String name) {
        return bridges.contains(name);
    }

    /** NOT_FOUND unless the mesh has this bridge. */
    void requireBridge(String bridge) {
        if (bridge == null || !bridges.contains(bridge)) {
            throw new DummException(Reason.NOT_FOUND, "bridge '" + bridge + "' does not exist");
        }
    }

    /** Adds a bridge to the model (not yet saved); the caller holds the model lock. */
    void addBridge(String name) {
        bridges.add(name);
    }

    /** Removes a bridge from the model (not yet saved); the caller holds the model lock. */
    void removeBridge(String name) {
        bridges.remove(name);
    }

    /** True when a bridge or a guest interface's TAP of the mesh has this name. The caller holds the model lock. */
    boolean nameInUse(String name) {
        if (bridges.contains(name)) {
            return true;
        }
        for (GuestEntry g : guests.values()) {
            for (IfaceRecord i : g.record.interfaces()) {
                if (i.tap().equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---- locking and persistence ---------------------------------------------------------------

    /** Runs {@code action} under the model lock (rule 2 above). */
    <T> T locked(Supplier<T> action) {
        modelLock.lock();
        try {
            return action.get();
        } finally {
            modelLock.unlock();
        }
    }

    /** Runs {@code action} holding every guest's lock, taken in name order (rule 3 above). */
    <T> T withAllGuestsLocked(Supplier<T> action) {
        List<GuestEntry> locked = new ArrayList<>();
        try {
            for (GuestEntry e : guests.values()) {
                e.lock.lock();
                locked.add(e);
            }
            return action.get();
        } finally {
            for (GuestEntry e : locked) {
                e.lock.unlock();
            }
        }
    }

    /** Writes mesh.json (bridges and links) from the model; the caller holds the model lock. */
    void saveMesh() {
        List<GuestRecord> records = new ArrayList<>();
        guests.values().forEach(g -> records.add(g.record));
        store.saveMesh(bridges, records);
    }
}
