package org.dumm.unionfs.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A snapshot of the mount table with the look-ups the union filesystem needs. */
final class MountTable {

    static final String OVERLAY = "overlay";

    private final List<MountInfo> mounts;

    MountTable(List<MountInfo> mounts) {
        this.mounts = List.copyOf(mounts);
    }

    static MountTable read() {
        return new MountTable(MountInfo.read());
    }

    List<MountInfo> all() {
        return mounts;
    }

    /**
     * The visible mount at exactly {@code point}: when several are stacked there (an
     * interrupted switch can leave two), the one no other mount at that point sits on.
     */
    MountInfo top(Path point) {
        List<MountInfo> here = new ArrayList<>();
        for (MountInfo m : mounts) {
            if (m.mountPoint().equals(point)) {
                here.add(m);
            }
        }
        Set<Integer> parents = new HashSet<>();
        for (MountInfo m : here) {
            parents.add(m.parentId());
        }
        MountInfo top = null;
        for (MountInfo m : here) {
            if (!parents.contains(m.id())) {
                top = m;
            }
        }
        return top;
    }

    /** The mount whose filesystem holds {@code path} (the longest mount point above it). */
    MountInfo containing(Path path) {
        Path p = path;
        while (p != null) {
            MountInfo top = top(p);
            if (top != null) {
                return top;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("no mount holds " + path);
    }

    /** Overlay mounts, in mount table order. */
    List<MountInfo> overlays() {
        List<MountInfo> result = new ArrayList<>();
        for (MountInfo m : mounts) {
            if (OVERLAY.equals(m.fsType())) {
                result.add(m);
            }
        }
        return result;
    }

    /**
     * The mounted overlay whose upper or work directory is {@code path}, or null. Mounts of the
     * superblock of {@code except} (the stack being replaced, and its propagated copies) do not count.
     */
    MountInfo writableUser(Path path, MountInfo except) {
        for (MountInfo m : overlays()) {
            if (except != null && m.device().equals(except.device())) {
                continue;
            }
            String upper = m.option("upperdir");
            String work = m.option("workdir");
            if ((upper != null && Path.of(upper).equals(path)) || (work != null && Path.of(work).equals(path))) {
                return m;
            }
        }
        return null;
    }
}
