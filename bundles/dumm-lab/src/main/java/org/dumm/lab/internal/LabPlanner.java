package org.dumm.lab.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.dumm.api.LinkState;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabChange.Kind;
import org.dumm.lab.LabLink;

/**
 * The changes from a remembered lab state (null: the lab is new) to the desired one, in the order
 * an apply carries them out: additions first (each can be undone), then removals and restarts.
 * Targets: a CD for segments, a device for devices, {@code DEV:INDEX} for links and addresses.
 */
final class LabPlanner {

    private LabPlanner() {
    }

    static List<LabChange> plan(LabState was, LabState want) {
        List<LabChange> changes = new ArrayList<>();
        Map<String, LabState.Device> old = was == null ? Map.of() : was.devices();
        Map<String, String> oldSegments = was == null ? Map.of() : was.segments();
        String oldTemplate = was == null ? null : was.template();
        want.segments().forEach((cd, bridge) -> {
            if (!bridge.equals(oldSegments.get(cd))) {
                changes.add(new LabChange(Kind.ADD_SEGMENT, cd, cd + " (bridge " + bridge + ")"));
            }
        });
        if (want.template() != null && !want.template().equals(oldTemplate)) {
            changes.add(new LabChange(Kind.LOAD_TEMPLATE, want.template(), want.template(), want.template()));
        }
        want.devices().forEach((dev, d) -> {
            if (!old.containsKey(dev)) {
                changes.add(new LabChange(Kind.ADD_DEVICE, dev, dev + " (guest " + d.guest() + ", "
                        + d.links().size() + " interface" + (d.links().size() == 1 ? "" : "s") + ")"));
            }
        });
        List<LabChange> restarts = new ArrayList<>();
        List<LabChange> removals = new ArrayList<>();
        want.devices().forEach((dev, d) -> {
            LabState.Device o = old.get(dev);
            if (o == null) {
                return;
            }
            if (!o.sameGuest(d)) {
                restarts.add(new LabChange(Kind.RESTART_DEVICE, dev, dev + " (" + why(o, d) + ")"));
                return;
            }
            int n = Math.max(o.links().size(), d.links().size());
            for (int i = 0; i < n; i++) {
                LabLink a = i < o.links().size() ? o.links().get(i) : null;
                LabLink b = i < d.links().size() ? d.links().get(i) : null;
                String target = dev + ":" + i;
                if (a == null) {
                    changes.add(new LabChange(Kind.ADD_LINK, target, dev + " eth" + i + " " + b.cd() + mac(b)));
                } else if (b == null) {
                    removals.add(new LabChange(Kind.REMOVE_LINK, target, dev + " eth" + i + " " + a.cd()));
                } else if (!Objects.equals(a.mac(), b.mac())) {
                    removals.add(new LabChange(Kind.REMOVE_LINK, target, dev + " eth" + i + " " + a.cd()));
                    removals.add(new LabChange(Kind.ADD_LINK, target, dev + " eth" + i + " " + b.cd() + mac(b)));
                } else {
                    if (!a.cd().equals(b.cd()) || !Objects.equals(segmentOf(was, a.cd()), want.segments().get(b.cd()))) {
                        changes.add(new LabChange(Kind.MOVE_LINK, target, dev + " eth" + i + " " + a.cd() + " -> " + b.cd()));
                    }
                    linkDetails(dev, i, a, b, changes, removals);
                }
            }
        });
        changes.addAll(removals);
        old.forEach((dev, o) -> {
            if (!want.devices().containsKey(dev)) {
                changes.add(new LabChange(Kind.REMOVE_DEVICE, dev, dev + " (guest " + o.guest() + ")"));
            }
        });
        changes.addAll(restarts);
        oldSegments.forEach((cd, bridge) -> {
            if (!bridge.equals(want.segments().get(cd))) {
                changes.add(new LabChange(Kind.REMOVE_SEGMENT, cd, cd + " (bridge " + bridge + ")"));
            }
        });
        if (oldTemplate != null && !oldTemplate.equals(want.template())) {
            changes.add(new LabChange(Kind.UNLOAD_TEMPLATE, oldTemplate, oldTemplate, oldTemplate));
        }
        return changes;
    }

    /**
     * Addresses removed, then added, both undoable; a changed cable state set (it can be set
     * back). Removals go first: Linux deletes an interface's secondary IPv4 addresses of a subnet
     * with its primary one, so a new address of the same subnet added before would vanish.
     */
    private static void linkDetails(String dev, int i, LabLink a, LabLink b, List<LabChange> changes,
                                    List<LabChange> removals) {
        String target = dev + ":" + i;
        for (String cidr : a.addresses()) {
            if (!b.addresses().contains(cidr)) {
                changes.add(new LabChange(Kind.REMOVE_ADDRESS, target, cidr, dev + " eth" + i + " " + cidr));
            }
        }
        for (String cidr : b.addresses()) {
            if (!a.addresses().contains(cidr)) {
                changes.add(new LabChange(Kind.ADD_ADDRESS, target, cidr, dev + " eth" + i + " " + cidr));
            }
        }
        if (!a.link().equals(b.link())) {
            changes.add(new LabChange(Kind.SET_LINK, target, dev + " eth" + i + " " + describe(a.link()) + " -> "
                    + describe(b.link())));
        }
    }

    static String describe(LinkState s) {
        if (s.isDefault()) {
            return "clean";
        }
        List<String> parts = new ArrayList<>();
        if (!s.carrier()) {
            parts.add("carrier off");
        }
        if (s.toGuest().equals(s.fromGuest())) {
            if (!s.toGuest().isNone()) {
                parts.add(s.toGuest().describe());
            }
        } else {
            parts.add("in " + s.toGuest().describe() + ", out " + s.fromGuest().describe());
        }
        return String.join(", ", parts);
    }

    private static String segmentOf(LabState s, String cd) {
        return s == null ? null : s.segments().get(cd);
    }

    private static String mac(LabLink l) {
        return l.mac() == null ? "" : " " + l.mac();
    }

    private static String why(LabState.Device o, LabState.Device d) {
        List<String> why = new ArrayList<>();
        if (!Objects.equals(o.master(), d.master())) {
            why.add("master " + label(o.master()) + " -> " + label(d.master()));
        }
        if (!Objects.equals(o.kernel(), d.kernel())) {
            why.add("kernel " + label(o.kernel()) + " -> " + label(d.kernel()));
        }
        if (!Objects.equals(o.backend(), d.backend())) {
            why.add("backend " + label(o.backend()) + " -> " + label(d.backend()));
        }
        if (o.memoryMb() != d.memoryMb()) {
            why.add("mem " + label(o.memoryMb()) + " -> " + label(d.memoryMb()));
        }
        if (!o.options().equals(d.options())) {
            why.add("options changed");
        }
        if (!o.guest().equals(d.guest())) {
            why.add("guest " + o.guest() + " -> " + d.guest());
        }
        return String.join(", ", why);
    }

    private static String label(Object v) {
        return v == null || Integer.valueOf(0).equals(v) ? "default" : v.toString();
    }
}
