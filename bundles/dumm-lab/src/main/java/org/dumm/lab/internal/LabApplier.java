package org.dumm.lab.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.GuestState;
import org.dumm.api.LinkDirection;
import org.dumm.api.LinkState;
import org.dumm.api.Mesh;
import org.dumm.api.Progress;
import org.dumm.api.Transport;
import org.dumm.lab.Lab;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabLink;

/**
 * Carries out a plan on the mesh, live. Additions come first, each with its undo: when one fails,
 * what was done is undone in reverse and the mesh is as before. New devices start in lab.dep
 * waves. Removals and restarts come last, once every addition has succeeded.
 */
final class LabApplier {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final Mesh mesh;
    private final Lab lab;
    private final LabState was;
    private final LabState want;
    private final Progress progress;
    private final Deque<Runnable> undo = new ArrayDeque<>();

    LabApplier(Mesh mesh, Lab lab, LabState was, LabState want, Progress progress) {
        this.mesh = mesh;
        this.lab = lab;
        this.was = was;
        this.want = want;
        this.progress = progress;
    }

    void run(List<LabChange> changes) {
        Set<String> toStart = new LinkedHashSet<>();
        try {
            for (LabChange c : changes) {
                switch (c.kind()) {
                    case ADD_SEGMENT -> addSegment(c.target());
                    case ADD_DEVICE -> {
                        createDevice(c.target());
                        toStart.add(c.target());
                    }
                    case ADD_LINK -> {
                        if (!isRemovalPhase(changes, c)) {
                            addLink(c.target());
                        }
                    }
                    case MOVE_LINK -> moveLink(c.target());
                    case LOAD_TEMPLATE -> loadTemplate(c.value());
                    case ADD_ADDRESS -> addAddress(c.target(), c.value());
                    case REMOVE_ADDRESS -> removeAddress(c.target(), c.value());
                    case SET_LINK -> setLink(c.target());
                    default -> {
                    }
                }
                progress.report(c.toString());
            }
            startInWaves(toStart);
        } catch (RuntimeException e) {
            rollBack(e);
            throw e;
        }
        // Past this point nothing is undone: removals and restarts, after every addition worked.
        for (LabChange c : changes) {
            switch (c.kind()) {
                case REMOVE_LINK -> removeLink(c.target());
                case ADD_LINK -> {
                    if (isRemovalPhase(changes, c)) {
                        addLink(c.target());
                    }
                }
                case REMOVE_DEVICE -> removeDevice(c.target());
                case RESTART_DEVICE -> restartDevice(c.target());
                case REMOVE_SEGMENT -> removeSegment(c.target());
                case UNLOAD_TEMPLATE -> unloadTemplate(c.value());
                default -> {
                }
            }
        }
    }

    /** An ADD_LINK that re-adds an interface removed just before it (a MAC change). */
    private static boolean isRemovalPhase(List<LabChange> changes, LabChange add) {
        int i = changes.indexOf(add);
        return i > 0 && changes.get(i - 1).kind() == LabChange.Kind.REMOVE_LINK
                && changes.get(i - 1).target().equals(add.target());
    }

    private void rollBack(RuntimeException cause) {
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private void addSegment(String cd) {
        String bridge = want.segments().get(cd);
        if (mesh.bridge(bridge).isPresent() && was != null && bridge.equals(was.segments().get(cd))) {
            return;
        }
        mesh.createBridge(bridge);
        undo.push(() -> mesh.deleteBridge(bridge));
    }

    private void createDevice(String dev) {
        LabState.Device d = want.devices().get(dev);
        mesh.createGuest(LabServiceImpl.definition(d));
        undo.push(() -> mesh.deleteGuest(d.guest(), true));
        GuestFiles.write(lab, lab.device(dev), diff(d.guest()));
        for (LabLink l : d.links()) {
            plug(d.guest(), l);
        }
    }

    /** An interface with its addresses and cable state, recorded now and applied at once or at boot. */
    private void plug(String guest, LabLink l) {
        mesh.addInterface(guest, l.iface(), want.segments().get(l.cd()), l.mac(), Transport.TUNTAP);
        for (String cidr : l.addresses()) {
            mesh.addAddress(guest, l.iface(), cidr);
        }
        applyLinkState(guest, l.iface(), LinkState.DEFAULT, l.link());
    }

    private void applyLinkState(String guest, String iface, LinkState from, LinkState to) {
        if (!to.toGuest().equals(from.toGuest())) {
            mesh.setImpairment(guest, iface, LinkDirection.IN, to.toGuest());
        }
        if (!to.fromGuest().equals(from.fromGuest())) {
            mesh.setImpairment(guest, iface, LinkDirection.OUT, to.fromGuest());
        }
        if (to.carrier() != from.carrier()) {
            mesh.setCarrier(guest, iface, to.carrier());
        }
    }

    private void setLink(String target) {
        String g = guest(target);
        LabLink before = link(was, target);
        LabLink after = link(want, target);
        applyLinkState(g, after.iface(), before.link(), after.link());
        undo.push(() -> applyLinkState(g, after.iface(), after.link(), before.link()));
    }

    private void addAddress(String target, String cidr) {
        String g = guest(target);
        String iface = link(want, target).iface();
        mesh.addAddress(g, iface, cidr);
        undo.push(() -> mesh.removeAddress(g, iface, cidr));
    }

    private void removeAddress(String target, String cidr) {
        String g = guest(target);
        String iface = link(was, target).iface();
        mesh.removeAddress(g, iface, cidr);
        undo.push(() -> mesh.addAddress(g, iface, cidr));
    }

    /** The lab's template, unless it is loaded already (another one loaded was refused before). */
    private void loadTemplate(String name) {
        if (mesh.loadedTemplate().map(t -> t.name().equals(name)).orElse(false)) {
            return;
        }
        mesh.loadTemplate(name);
        undo.push(mesh::unloadTemplate);
    }

    private void unloadTemplate(String name) {
        if (mesh.loadedTemplate().map(t -> t.name().equals(name)).orElse(false)) {
            mesh.unloadTemplate();
        }
    }

    private Path diff(String guest) {
        return Path.of(mesh.status().workDir()).resolve("guests").resolve(guest).resolve("diff");
    }

    private LabLink link(LabState s, String target) {
        int colon = target.lastIndexOf(':');
        LabState.Device d = s.devices().get(target.substring(0, colon));
        return d.links().get(Integer.parseInt(target.substring(colon + 1)));
    }

    private String guest(String target) {
        return want.devices().get(target.substring(0, target.lastIndexOf(':'))).guest();
    }

    private void addLink(String target) {
        LabLink l = link(want, target);
        String g = guest(target);
        undo.push(() -> {
            if (mesh.guest(g).map(x -> x.interfaces().stream().anyMatch(i -> i.name().equals(l.iface()))).orElse(false)) {
                mesh.removeInterface(g, l.iface());
            }
        });
        plug(g, l);
    }

    private void moveLink(String target) {
        LabLink from = link(was, target);
        LabLink to = link(want, target);
        String g = guest(target);
        String oldBridge = was.segments().get(from.cd());
        mesh.connect(g, to.iface(), want.segments().get(to.cd()));
        undo.push(() -> mesh.connect(g, to.iface(), oldBridge));
    }

    private void removeLink(String target) {
        LabLink l = link(was, target);
        mesh.removeInterface(guest(target), l.iface());
    }

    private void startInWaves(Set<String> devices) {
        if (devices.isEmpty()) {
            return;
        }
        for (List<String> wave : LabDepParser.waves(want.devices().keySet(), want.dependencies())) {
            List<String> guests = new ArrayList<>();
            for (String dev : wave) {
                if (devices.contains(dev)) {
                    guests.add(want.devices().get(dev).guest());
                }
            }
            if (guests.isEmpty()) {
                continue;
            }
            Map<String, String> failed = mesh.startGuests(guests, progress);
            if (!failed.isEmpty()) {
                throw new DummException(Reason.GUEST_FAILURE, "lab " + want.name() + ": " + failed.size()
                        + " device(s) failed to start: " + failed);
            }
            for (String g : guests) {
                undo.push(() -> stopQuietly(g));
            }
        }
    }

    private void stopQuietly(String guest) {
        mesh.guest(guest).filter(x -> x.state() == GuestState.RUNNING || x.state() == GuestState.PAUSED)
                .ifPresent(x -> mesh.stopGuest(guest, STOP_TIMEOUT));
    }

    private void removeDevice(String dev) {
        String g = was.devices().get(dev).guest();
        if (mesh.guest(g).isPresent()) {
            stopQuietly(g);
            mesh.deleteGuest(g, true);
        }
    }

    /** A device whose own options changed: made again from the source and booted, alone. */
    private void restartDevice(String dev) {
        removeDevice(dev);
        createDevice(dev);
        undo.clear();
        Map<String, String> failed = mesh.startGuests(List.of(want.devices().get(dev).guest()), progress);
        if (!failed.isEmpty()) {
            throw new DummException(Reason.GUEST_FAILURE, "lab " + want.name() + ": device " + dev
                    + " failed to restart: " + failed);
        }
    }

    private void removeSegment(String cd) {
        String bridge = was.segments().get(cd);
        if (mesh.bridge(bridge).isPresent()) {
            mesh.deleteBridge(bridge);
        }
    }
}
