package org.dumm.templates.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.TemplateDiff;

/**
 * What one template layer changes relative to the layers below it, as overlayfs would merge
 * them: a name in the layer that nothing below shows is added; one that replaces a visible
 * entry with different content, type or mode is changed (a copy-up with nothing changed is not
 * reported); a whiteout over a visible entry is deleted, and so is every name below an opaque
 * directory that the directory no longer shows.
 */
final class LayerDiff {

    private final Path layer;
    /** Layers below the template, top first; empty when unknown (then nothing counts as changed). */
    private final List<Path> below;
    private final List<String> added = new ArrayList<>();
    private final List<String> changed = new ArrayList<>();
    private final List<String> deleted = new ArrayList<>();

    private LayerDiff(Path layer, List<Path> below) {
        this.layer = layer;
        this.below = below;
    }

    static TemplateDiff of(String guest, Path layer, List<Path> below) {
        LayerDiff d = new LayerDiff(layer, below);
        try {
            d.walk("");
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "comparing " + layer + ": " + e, e);
        }
        return new TemplateDiff(guest, d.added, d.changed, d.deleted);
    }

    private void walk(String rel) throws IOException {
        for (String name : children(layer.resolve(rel.isEmpty() ? "." : rel))) {
            String r = rel.isEmpty() ? name : rel + "/" + name;
            Path p = layer.resolve(r);
            String guestPath = "/" + r;
            if (OverlayMarks.isWhiteout(p)) {
                if (below.isEmpty() || visibleBelow(r) != null) {
                    deleted.add(guestPath);
                }
                continue;
            }
            Path under = visibleBelow(r);
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                if (under == null) {
                    added.add(guestPath + "/");
                } else if (!Files.isDirectory(under, LinkOption.NOFOLLOW_LINKS)) {
                    changed.add(guestPath + "/");
                } else if (OverlayMarks.isOpaque(p)) {
                    TreeSet<String> mine = new TreeSet<>(children(p));
                    for (String hidden : visibleChildrenBelow(r)) {
                        if (!mine.contains(hidden)) {
                            deleted.add(guestPath + "/" + hidden);
                        }
                    }
                }
                walk(r);
            } else if (under == null) {
                added.add(guestPath);
            } else if (!sameContent(p, under)) {
                changed.add(guestPath);
            }
        }
    }

    /** The entry the layers below show at {@code rel}, or null when they show nothing there. */
    Path visibleBelow(String rel) {
        String[] parts = rel.split("/");
        for (Path l : below) {
            boolean stopHere = false;
            Path cur = l;
            for (int i = 0; i < parts.length; i++) {
                cur = cur.resolve(parts[i]);
                if (!Files.exists(cur, LinkOption.NOFOLLOW_LINKS)) {
                    break; // this layer has nothing here; look further down
                }
                if (OverlayMarks.isWhiteout(cur)) {
                    return null; // hidden for every layer under this one
                }
                boolean last = i == parts.length - 1;
                if (last) {
                    return cur;
                }
                if (!Files.isDirectory(cur, LinkOption.NOFOLLOW_LINKS)) {
                    return null; // a file here hides whatever lower layers have beneath this name
                }
                if (OverlayMarks.isOpaque(cur)) {
                    stopHere = true; // lower layers do not show through this directory
                }
            }
            if (stopHere) {
                return null;
            }
        }
        return null;
    }

    private List<String> visibleChildrenBelow(String rel) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        for (Path l : below) {
            Path d = l.resolve(rel);
            if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                names.addAll(children(d));
            }
        }
        List<String> visible = new ArrayList<>();
        for (String n : names) {
            Path v = visibleBelow(rel + "/" + n);
            if (v != null && !OverlayMarks.isWhiteout(v)) {
                visible.add(n);
            }
        }
        return visible;
    }

    private static boolean sameContent(Path a, Path b) throws IOException {
        int modeA = (Integer) Files.getAttribute(a, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        int modeB = (Integer) Files.getAttribute(b, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (modeA != modeB) {
            return false;
        }
        if (Files.isSymbolicLink(a)) {
            return Files.readSymbolicLink(a).equals(Files.readSymbolicLink(b));
        }
        if (Files.isRegularFile(a, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.size(a) != Files.size(b)) {
                return false;
            }
            try (InputStream x = Files.newInputStream(a); InputStream y = Files.newInputStream(b)) {
                byte[] bx = new byte[65536];
                byte[] by = new byte[65536];
                while (true) {
                    int nx = x.readNBytes(bx, 0, bx.length);
                    int ny = y.readNBytes(by, 0, by.length);
                    if (nx != ny || !Arrays.equals(bx, 0, nx, by, 0, ny)) {
                        return false;
                    }
                    if (nx == 0) {
                        return true;
                    }
                }
            }
        }
        // devices, fifos: same type and mode; compare device numbers
        return Files.getAttribute(a, "unix:rdev", LinkOption.NOFOLLOW_LINKS)
                .equals(Files.getAttribute(b, "unix:rdev", LinkOption.NOFOLLOW_LINKS));
    }

    static List<String> children(Path dir) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        try (var s = Files.list(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        return new ArrayList<>(names);
    }
}
