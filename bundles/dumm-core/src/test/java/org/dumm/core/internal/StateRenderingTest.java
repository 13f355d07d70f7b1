package org.dumm.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.dumm.api.Impairment;
import org.dumm.api.LinkState;
import org.dumm.api.Transport;
import org.dumm.core.internal.MeshStore.BridgeFile;
import org.dumm.core.internal.MeshStore.GuestFile;
import org.dumm.core.internal.MeshStore.IfaceFile;
import org.dumm.core.internal.MeshStore.LinkFile;
import org.dumm.core.internal.MeshStore.MeshFile;
import org.junit.Test;

/** The files rendered piece by piece, with pieces kept across changes, are those rendered in one pass. */
public class StateRenderingTest {

    private static final List<String> BRIDGES = List.of("wan", "lan");

    @Test
    public void aLongRunOfChangesRendersAsTheWholeModelWould() {
        StateRendering rendering = new StateRendering();
        Map<String, GuestRecord> model = new LinkedHashMap<>();
        Random random = new Random(7);
        for (int step = 0; step < 400; step++) {
            String name = "g" + random.nextInt(6);
            GuestRecord g = model.get(name);
            int what = random.nextInt(7);
            if (g == null) {
                g = new GuestRecord(name, "uml", "/usr/bin/linux.uml", "busybox", 64, List.of("quiet"), List.of());
            } else if (what == 0 || g.interfaces().isEmpty()) {
                String iface = "eth" + g.interfaces().size();
                g = g.withIface(new IfaceRecord(iface, name + "-" + iface, "52:54:00:00:00:0" + step % 10,
                        Transport.TUNTAP, random.nextBoolean() ? "lan" : null, List.of()));
            } else {
                IfaceRecord i = g.interfaces().get(random.nextInt(g.interfaces().size()));
                g = switch (what) {
                    case 1 -> g.withIface(i.withBridge(i.bridge() == null ? "wan" : null));
                    case 2 -> g.withIface(i.withAddress("10.0." + step % 250 + ".1/24", true));
                    case 3 -> g.withIface(i.withLink(new LinkState(random.nextBoolean(),
                            new Impairment(step * 1000L, 0, 0.5, 0, 0, 0, 0), Impairment.NONE)));
                    case 4 -> g.withoutIface(i.name());
                    case 5 -> g.withIface(i.withLink(LinkState.DEFAULT));
                    default -> null; // the guest is deleted
                };
            }
            if (g == null) {
                model.remove(name);
                rendering.forget(name);
            } else {
                model.put(name, g);
                assertEquals("guest.json at step " + step, new String(StateJson.guest(guestFile(g)), UTF_8),
                        new String(rendering.guest(g), UTF_8));
            }
            assertEquals("mesh.json at step " + step, new String(StateJson.mesh(meshFile(model.values())), UTF_8),
                    new String(rendering.mesh(BRIDGES, model.values()), UTF_8));
        }
    }

    private static GuestFile guestFile(GuestRecord g) {
        return new GuestFile(g.name(), g.backend(), g.kernel(), g.master(), g.memoryMb(), g.extraArgs(),
                g.interfaces().stream().map(i -> new IfaceFile(i.name(), i.tap(), i.mac(), i.transport())).toList(),
                g.modules());
    }

    private static MeshFile meshFile(Iterable<GuestRecord> guests) {
        List<LinkFile> links = new ArrayList<>();
        for (GuestRecord g : guests) {
            for (IfaceRecord i : g.interfaces()) {
                if (i.bridge() != null || !i.addresses().isEmpty() || !i.link().isDefault()) {
                    links.add(new LinkFile(g.name(), i.name(), i.bridge(), i.addresses(), i.link()));
                }
            }
        }
        return new MeshFile(BRIDGES.stream().sorted().map(BridgeFile::new).toList(), links);
    }
}
