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

    /**
     * The mounts that can matter to {@link #top} and {@link #writableUser} of {@code paths} and
     * of paths below them: those whose line in the mount table mentions one of them. Parsing
     * every line is what a read costs (~10 ms, cold, with 150 overlays mounted), and a guest's
     * stop or start asks about its own paths only. A path the kernel would print escaped (any
     * character but letters, digits and {@code /._-+@~}) makes it parse everything. Other
     * look-ups ({@link #containing}, {@link #overlays}) need {@link #read()}.
     */
    static MountTable readAbout(Path... paths) {
        List<String> needles = new ArrayList<>(paths.length);
        for (Path p : paths) {
            String s = p.toString();
            if (!printedAsIs(s)) {
                return read();
            }
            needles.add(s);
        }
        return new MountTable(MountInfo.read(line -> {
            for (String n : needles) {
                if (line.contains(n)) {
                    return true;
                }
            }
            return false;
        }));
    }

    private static boolean printedAsIs(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "/._-+@~".indexOf(c) >= 0;
            if (!plain) {
                return false;
            }
        }
        return !path.isEmpty();
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
