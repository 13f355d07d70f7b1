package org.dumm.unionfs.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.LayerStack;

/**
 * A {@link LayerStack} checked for what overlayfs and mount(2) accept, with canonical paths and
 * the option string to pass. Every check runs before anything is created or mounted.
 */
record OverlayStack(List<Path> lowers, Path upper, Path work, String options) {

    /**
     * mount(2) copies at most one page of option data, terminating NUL included; a longer string
     * would be cut off. Pages are 4 KiB on the machines Dumm runs on.
     */
    static final int MAX_OPTION_BYTES = 4095;

    /** overlayfs's limit on lower layers (OVL_MAX_STACK). */
    static final int MAX_LOWERS = 500;

    /**
     * Fixed choices: no inode index (it would refuse the diff as upper of a new stack while a
     * lazily detached old stack still holds it), no redirects and no metacopy (a template
     * layer then holds whole files and plain whiteouts only, so it can be diffed, exported and
     * stacked on another guest's diff).
     */
    static final String FIXED_OPTIONS = "index=off,redirect_dir=off,metacopy=off";

    /** Characters the option string cannot carry in a path: separators, escapes, line breaks. */
    private static final String FORBIDDEN = ":,\\\n\r\0";

    LayerStack toLayerStack() {
        return new LayerStack(lowers, upper, work);
    }

    static OverlayStack of(LayerStack stack) {
        if (stack == null) {
            throw invalid("layer stack is missing");
        }
        if (stack.lowers().isEmpty()) {
            throw invalid("an overlay needs at least one read-only lower layer (the master)");
        }
        if (stack.lowers().size() > MAX_LOWERS) {
            throw invalid("an overlay takes at most " + MAX_LOWERS + " lower layers, got " + stack.lowers().size());
        }
        List<Path> lowers = new ArrayList<>();
        for (Path lower : stack.lowers()) {
            lowers.add(existingDir("layer", lower));
        }
        Path upper = existingDir("upper layer", stack.upper());
        Path work = checkedPath("work dir", stack.work());
        if (Files.exists(work, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) {
            throw invalid("work dir " + work + " is not a directory");
        }
        List<Path> all = new ArrayList<>(lowers);
        all.add(upper);
        all.add(work);
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                Path a = all.get(i);
                Path b = all.get(j);
                if (a.startsWith(b) || b.startsWith(a)) {
                    throw invalid("layers " + a + " and " + b + " overlap; every layer and the work dir must be separate directories");
                }
            }
        }
        if (Dirs.device(work) != Dirs.device(upper)) {
            throw invalid("work dir " + work + " must be on the same filesystem as upper layer " + upper);
        }
        StringBuilder o = new StringBuilder("lowerdir=");
        for (int i = 0; i < lowers.size(); i++) {
            o.append(i == 0 ? "" : ":").append(lowers.get(i));
        }
        o.append(",upperdir=").append(upper).append(",workdir=").append(work).append(',').append(FIXED_OPTIONS);
        String options = o.toString();
        int bytes = options.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_OPTION_BYTES) {
            throw invalid("overlay options for " + lowers.size() + " layers are " + bytes
                    + " bytes; mount(2) takes at most " + MAX_OPTION_BYTES + " (one page): use shorter layer paths or fewer layers");
        }
        return new OverlayStack(List.copyOf(lowers), upper, work, options);
    }

    /** The stack a mounted overlay reports, as the kernel prints it. */
    static LayerStack fromMount(MountInfo m) {
        List<Path> lowers = new ArrayList<>();
        String lowerdir = m.option("lowerdir");
        if (lowerdir != null) {
            for (String l : lowerdir.split(":")) {
                if (!l.isEmpty()) {
                    lowers.add(Path.of(l));
                }
            }
        }
        // newer kernels print layers added one by one as repeated lowerdir+ options
        for (String l : m.options("lowerdir+")) {
            lowers.add(Path.of(l));
        }
        String upper = m.option("upperdir");
        String work = m.option("workdir");
        return new LayerStack(lowers, upper == null ? null : Path.of(upper), work == null ? null : Path.of(work));
    }

    static Path checkedPath(String role, Path p) {
        if (p == null) {
            throw invalid(role + " path is missing");
        }
        if (!p.isAbsolute()) {
            throw invalid(role + " path '" + p + "' is not absolute");
        }
        Path c = Dirs.canonical(p);
        String s = c.toString();
        for (char ch : FORBIDDEN.toCharArray()) {
            if (s.indexOf(ch) >= 0) {
                throw invalid(role + " path '" + printable(s) + "' contains " + describe(ch)
                        + ", which overlay mount options cannot carry");
            }
        }
        return c;
    }

    private static Path existingDir(String role, Path p) {
        Path c = checkedPath(role, p);
        if (!Files.exists(c, LinkOption.NOFOLLOW_LINKS)) {
            throw new DummException(Reason.NOT_FOUND, role + " " + c + " does not exist");
        }
        if (!Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
            throw invalid(role + " " + c + " is not a directory");
        }
        return c;
    }

    private static String describe(char c) {
        return switch (c) {
            case '\n' -> "a line feed";
            case '\r' -> "a carriage return";
            case '\0' -> "a NUL byte";
            default -> "'" + c + "'";
        };
    }

    private static String printable(String s) {
        return s.replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0");
    }

    private static DummException invalid(String message) {
        return new DummException(Reason.INVALID_ARGUMENT, message);
    }
}
