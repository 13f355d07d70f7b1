package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dumm.core.internal.MeshStore.BridgeFile;
import org.dumm.core.internal.MeshStore.GuestFile;
import org.dumm.core.internal.MeshStore.IfaceFile;
import org.dumm.core.internal.MeshStore.LinkFile;

/**
 * guest.json and mesh.json of the model, with each interface's elements kept from one rendering
 * to the next: a change renders only the interfaces whose record changed (records are
 * immutable, so identity tells) and copies the rest. Rendering all links of a hundred guests
 * on every connect, mostly in code the JIT had not compiled yet, was a third of the connect.
 */
final class StateRendering {

    /** What was rendered for one guest's interfaces, by record identity. */
    private static final class Pieces {
        Map<IfaceRecord, byte[]> ifaces = new IdentityHashMap<>();
        /** An empty array: the interface has no element in mesh.json (no bridge, address or state). */
        Map<IfaceRecord, byte[]> links = new IdentityHashMap<>();
        GuestRecord linksOf;
        List<byte[]> linkItems = List.of();
    }

    private static final byte[] NO_LINK = new byte[0];

    private final Map<String, Pieces> guests = new HashMap<>();

    synchronized byte[] guest(GuestRecord g) {
        Pieces p = guests.computeIfAbsent(g.name(), n -> new Pieces());
        Map<IfaceRecord, byte[]> kept = new IdentityHashMap<>();
        List<byte[]> items = new ArrayList<>(g.interfaces().size());
        for (IfaceRecord i : g.interfaces()) {
            byte[] item = p.ifaces.get(i);
            if (item == null) {
                item = StateJson.iface(new IfaceFile(i.name(), i.tap(), i.mac(), i.transport()));
            }
            kept.put(i, item);
            items.add(item);
        }
        p.ifaces = kept;
        return StateJson.document(StateJson.guestHead(new GuestFile(g.name(), g.backend(), g.kernel(), g.master(),
                g.memoryMb(), g.extraArgs(), List.of(), g.modules())), items);
    }

    /** mesh.json: the bridges sorted, the links in the order of {@code records} and their interfaces. */
    synchronized byte[] mesh(Collection<String> bridges, Collection<GuestRecord> records) {
        List<byte[]> items = new ArrayList<>();
        for (GuestRecord g : records) {
            items.addAll(linkItems(g));
        }
        if (guests.size() > records.size()) {
            Set<String> names = new HashSet<>();
            records.forEach(g -> names.add(g.name()));
            guests.keySet().retainAll(names);
        }
        return StateJson.document(StateJson.meshHead(bridges.stream().sorted().map(BridgeFile::new).toList()), items);
    }

    /** Drops what was kept for a deleted guest. */
    synchronized void forget(String guest) {
        guests.remove(guest);
    }

    private List<byte[]> linkItems(GuestRecord g) {
        Pieces p = guests.computeIfAbsent(g.name(), n -> new Pieces());
        if (p.linksOf == g) {
            return p.linkItems;
        }
        Map<IfaceRecord, byte[]> kept = new IdentityHashMap<>();
        List<byte[]> items = new ArrayList<>();
        for (IfaceRecord i : g.interfaces()) {
            byte[] item = p.links.get(i);
            if (item == null) {
                boolean linked = i.bridge() != null || !i.addresses().isEmpty() || !i.link().isDefault();
                item = linked ? StateJson.link(new LinkFile(g.name(), i.name(), i.bridge(), i.addresses(), i.link()))
                        : NO_LINK;
            }
            kept.put(i, item);
            if (item.length > 0) {
                items.add(item);
            }
        }
        p.links = kept;
        p.linksOf = g;
        p.linkItems = items;
        return items;
    }
}
