package org.dumm.lab.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.dumm.lab.LabChange;
import org.dumm.lab.LabChange.Kind;
import org.dumm.lab.LabLink;

/**
 * The changes from a remembered lab state (null: the lab is new) to the desired one, in the order
 * an apply carries them out. Targets: a CD for segments, a device for devices,
 * {@code DEV:INDEX} for links.
 */
final class LabPlanner {

    private LabPlanner() {
    }

    static List<LabChange> plan(LabState was, LabState want) {
        List<LabChange> changes = new ArrayList<>();
        Map<String, LabState.Device> old = was == null ? Map.of() : was.devices();
        Map<String, String> oldSegments = was == null ? Map.of() : was.segments();
        want.segments().forEach((cd, bridge) -> {
            if (!bridge.equals(oldSegments.get(cd))) {
                changes.add(new LabChange(Kind.ADD_SEGMENT, cd, cd + " (bridge " + bridge + ")"));
            }
        });
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
            if (!o.guest().equals(d.guest()) || !Objects.equals(o.master(), d.master()) || o.memoryMb() != d.memoryMb()
                    || !o.options().equals(d.options())) {
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
                } else if (!a.cd().equals(b.cd()) || !Objects.equals(segmentOf(was, a.cd()), want.segments().get(b.cd()))) {
                    changes.add(new LabChange(Kind.MOVE_LINK, target, dev + " eth" + i + " " + a.cd() + " -> " + b.cd()));
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
        return changes;
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
