package org.dumm.unionfs.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One parsed line of {@code /proc/self/mountinfo} (proc(5)), with the kernel's octal escapes
 * ({@code \040} for a space, {@code \134} for a backslash …) decoded.
 *
 * @param id           mount id
 * @param parentId     id of the parent mount
 * @param device       major:minor of the filesystem; propagated copies share it
 * @param root         path inside the filesystem that is mounted here
 * @param mountPoint   where it is mounted
 * @param optional     optional fields such as {@code shared:3}, {@code master:2}
 * @param fsType       filesystem type, {@code overlay} for ours
 * @param source       the source given to mount(2) ({@code dumm} marks Dumm's overlays)
 * @param superOptions per-superblock options (key, decoded value) in the kernel's order; a key
 *                     may repeat ({@code lowerdir+})
 */
record MountInfo(int id, int parentId, String device, String root, Path mountPoint, List<String> optional,
                 String fsType, String source, List<Map.Entry<String, String>> superOptions) {

    static final Path SELF = Path.of("/proc/self/mountinfo");

    /** The first value of super option {@code key}, or null. */
    String option(String key) {
        for (Map.Entry<String, String> e : superOptions) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** All values of super option {@code key}, in order. */
    List<String> options(String key) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> e : superOptions) {
            if (e.getKey().equals(key)) {
                values.add(e.getValue());
            }
        }
        return values;
    }

    /** True when this mount's propagation type is shared (mounts below it propagate to peers). */
    boolean shared() {
        return optional.stream().anyMatch(o -> o.startsWith("shared:"));
    }

    /** All mounts of this process's namespace, in the kernel's order (parents before children). */
    static List<MountInfo> read() {
        return read(line -> true);
    }

    /** The mounts whose raw line (escapes not yet decoded) passes {@code keep}; only those are parsed. */
    static List<MountInfo> read(Predicate<String> keep) {
        List<String> lines;
        try {
            lines = Files.readAllLines(SELF, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + SELF, e);
        }
        lines.removeIf(keep.negate());
        return parse(lines);
    }

    static List<MountInfo> parse(List<String> lines) {
        List<MountInfo> result = new ArrayList<>(lines.size());
        for (String line : lines) {
            if (!line.isBlank()) {
                result.add(parseLine(line));
            }
        }
        return result;
    }

    static MountInfo parseLine(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (dash < 0 || dash + 2 >= f.length) {
            throw new IllegalArgumentException("malformed mountinfo line: " + line);
        }
        List<String> optional = List.of(f).subList(6, dash);
        String superOpts = dash + 3 < f.length ? f[dash + 3] : "";
        return new MountInfo(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f[2], unescape(f[3]),
                Path.of(unescape(f[4])), List.copyOf(optional), unescape(f[dash + 1]),
                unescape(f[dash + 2]), parseOptions(superOpts));
    }

    /**
     * Splits super options at the commas first: a comma inside a value is printed escaped
     * ({@code \054}), so only separators are literal commas. Values are decoded afterwards.
     */
    static List<Map.Entry<String, String>> parseOptions(String options) {
        List<Map.Entry<String, String>> list = new ArrayList<>();
        if (options.isEmpty()) {
            return list;
        }
        for (String option : options.split(",")) {
            int eq = option.indexOf('=');
            if (eq < 0) {
                list.add(Map.entry(unescape(option), ""));
            } else {
                list.add(Map.entry(unescape(option.substring(0, eq)), unescape(option.substring(eq + 1))));
            }
        }
        return List.copyOf(list);
    }

    /** Decodes the kernel's {@code \ooo} octal escapes (bytes, then UTF-8). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\\' && i + 3 < b.length && isOctal(b[i + 1]) && isOctal(b[i + 2]) && isOctal(b[i + 3])) {
                out.write(((b[i + 1] - '0') << 6) | ((b[i + 2] - '0') << 3) | (b[i + 3] - '0'));
                i += 3;
            } else {
                out.write(b[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte c) {
        return c >= '0' && c <= '7';
    }
}
