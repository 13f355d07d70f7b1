package org.dumm.lab.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.lab.Lab;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabFiles;
import org.dumm.lab.LabLink;

/**
 * Reads a Netkit/Kathará lab directory: {@code lab.conf} (links, device options, {@code LAB_*}
 * metadata, Netkit's {@code machines=}) and {@code lab.dep}. Every problem is an error naming the
 * file and line, or the device; options Dumm cannot honour are warnings naming the line.
 */
public final class LabConfParser {

    static final Set<String> METADATA = Set.of("LAB_NAME", "LAB_DESCRIPTION", "LAB_VERSION", "LAB_AUTHOR",
            "LAB_EMAIL", "LAB_WEB");
    /** Kathará/Netkit options with no meaning for a UML guest in Dumm: warned about, ignored. */
    static final Set<String> UNSUPPORTED = Set.of("port", "bridged", "num_terms", "privileged", "ulimit", "cpus",
            "entrypoint", "hosthome", "xterm", "append", "kernel", "con0", "con1", "model_fs", "filesystem");

    private static final Pattern DEVICE_LINE = Pattern.compile("([^\\s\\[=]+)\\s*\\[\\s*([^\\]]*?)\\s*\\]\\s*=\\s*(.*)");
    private static final Pattern ASSIGNMENT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*)");
    private static final Pattern DEVICE_NAME = Pattern.compile("[a-z0-9_]{1,30}");
    private static final Pattern CD_NAME = Pattern.compile("\\w+");
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");
    private static final Pattern MEMORY = Pattern.compile("(\\d+)\\s*([mMgG]?)[bB]?");
    private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*");

    private LabConfParser() {
    }

    /** A device while its lines are read. */
    private static final class Draft {
        final String name;
        final int firstLine;
        final TreeMap<Integer, LabLink> links = new TreeMap<>();
        int memoryMb;
        String image;
        Boolean ipv6;
        String shell;
        final List<String> exec = new ArrayList<>();
        final List<String> sysctls = new ArrayList<>();
        final Map<String, String> env = new LinkedHashMap<>();

        Draft(String name, int firstLine) {
            this.name = name;
            this.firstLine = firstLine;
        }

        LabDevice build(Path dir) {
            return new LabDevice(name, List.copyOf(links.values()), memoryMb, image, ipv6, exec, sysctls, env, shell,
                    files(dir, name));
        }
    }

    /**
     * @param source a lab directory, or its lab.conf
     * @param name   the lab's name as given by the user, or null (LAB_NAME, else the directory's)
     */
    public static Lab parse(Path source, String name) {
        Path dir = Files.isDirectory(source) ? source : source.toAbsolutePath().getParent();
        Path conf = dir.resolve("lab.conf");
        if (!Files.isRegularFile(conf)) {
            throw new DummException(Reason.INVALID_ARGUMENT, "no lab.conf in " + dir);
        }
        List<String> lines = read(conf);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Draft> devices = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        List<String> machines = null;
        int machinesLine = 0;
        for (int n = 1; n <= lines.size(); n++) {
            String line = stripComment(lines.get(n - 1)).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = "lab.conf line " + n;
            Matcher d = DEVICE_LINE.matcher(line);
            if (d.matches()) {
                String device = d.group(1);
                if (!DEVICE_NAME.matcher(device).matches()) {
                    throw error(where + ": device name '" + device + "' is invalid: use up to 30 of a-z, 0-9, _");
                }
                int at = n;
                Draft draft = devices.computeIfAbsent(device, k -> new Draft(k, at));
                option(draft, d.group(2), unquote(d.group(3)), where, warnings);
                continue;
            }
            Matcher a = ASSIGNMENT.matcher(line);
            if (a.matches()) {
                String key = a.group(1);
                String value = unquote(a.group(2));
                if (key.startsWith("LAB_")) {
                    if (!METADATA.contains(key)) {
                        warnings.add(where + ": unknown metadata " + key + ", kept");
                    }
                    metadata.put(key, value);
                } else if (key.equals("machines")) {
                    machines = List.of(value.strip().split("\\s+"));
                    machinesLine = n;
                } else {
                    throw error(where + ": unknown setting '" + key + "'");
                }
                continue;
            }
            throw error(where + ": malformed line: " + line);
        }
        if (machines != null) {
            for (String m : machines) {
                if (!DEVICE_NAME.matcher(m).matches()) {
                    throw error("lab.conf line " + machinesLine + ": device name '" + m + "' in machines= is invalid");
                }
            }
            for (Draft draft : devices.values()) {
                if (!machines.contains(draft.name)) {
                    throw error("lab.conf line " + draft.firstLine + ": device " + draft.name + " is not in machines=");
                }
            }
            Map<String, Draft> ordered = new LinkedHashMap<>();
            for (String m : machines) {
                ordered.put(m, devices.getOrDefault(m, new Draft(m, machinesLine)));
            }
            devices = ordered;
        }
        if (devices.isEmpty()) {
            throw error(conf + " names no device");
        }
        Map<String, String> macs = new TreeMap<>();
        List<LabDevice> built = new ArrayList<>();
        for (Draft draft : devices.values()) {
            int expected = 0;
            for (int index : draft.links.keySet()) {
                if (index != expected) {
                    throw error("device " + draft.name + ": interface eth" + index + " without eth" + expected
                            + " (interfaces start at eth0 without gaps)");
                }
                expected++;
            }
            for (LabLink l : draft.links.values()) {
                if (l.mac() != null) {
                    String other = macs.put(l.mac(), draft.name + " " + l.iface());
                    if (other != null) {
                        throw error("MAC " + l.mac() + " of " + draft.name + " " + l.iface() + " is also " + other);
                    }
                }
            }
            built.add(draft.build(dir.toAbsolutePath().normalize()));
        }
        Map<String, List<String>> deps = LabDepParser.parse(dir.resolve("lab.dep"), devices.keySet());
        String labName = name != null ? LabNames.checkLab(name) : LabNames.labName(metadata.get("LAB_NAME"), dir);
        Path abs = dir.toAbsolutePath().normalize();
        return new Lab(labName, abs, metadata, built, deps, warnings, null, null, files(abs, "shared"));
    }

    /**
     * Kathará's conventions: the tree {@code NAME/}, {@code NAME.startup}, {@code NAME.shutdown}
     * in the lab directory, each when it is there.
     */
    static LabFiles files(Path dir, String name) {
        Path tree = dir.resolve(name);
        Path startup = dir.resolve(name + ".startup");
        Path shutdown = dir.resolve(name + ".shutdown");
        return new LabFiles(Files.isDirectory(tree) ? tree : null, Files.isRegularFile(startup) ? startup : null,
                Files.isRegularFile(shutdown) ? shutdown : null);
    }

    /** The lab without the devices named (each must be one of its devices); lab.dep edges to them go too. */
    public static Lab exclude(Lab lab, java.util.Collection<String> excluded) {
        if (excluded.isEmpty()) {
            return lab;
        }
        for (String x : excluded) {
            if (lab.device(x) == null) {
                throw error("--exclude " + x + ": lab " + lab.name() + " has no such device");
            }
        }
        List<LabDevice> kept = lab.devices().stream().filter(d -> !excluded.contains(d.name())).toList();
        if (kept.isEmpty()) {
            throw error("--exclude leaves lab " + lab.name() + " without devices");
        }
        Map<String, List<String>> deps = new LinkedHashMap<>();
        lab.dependencies().forEach((dev, on) -> {
            if (!excluded.contains(dev)) {
                deps.put(dev, on.stream().filter(o -> !excluded.contains(o)).toList());
            }
        });
        List<String> warnings = new ArrayList<>(lab.warnings());
        warnings.add("devices left out: " + String.join(" ", new java.util.TreeSet<>(excluded)));
        return lab.with(kept, deps, warnings);
    }

    private static void option(Draft d, String key, String value, String where, List<String> warnings) {
        if (key.matches("\\d+")) {
            int index;
            try {
                index = Integer.parseInt(key);
            } catch (NumberFormatException e) {
                throw error(where + ": interface number " + key + " is too large");
            }
            String cd = value;
            String mac = null;
            int slash = value.indexOf('/');
            if (slash >= 0) {
                cd = value.substring(0, slash).strip();
                mac = value.substring(slash + 1).strip().toLowerCase(Locale.ROOT);
                if (!MAC.matcher(mac).matches()) {
                    throw error(where + ": '" + value.substring(slash + 1) + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
                }
                if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
                    throw error(where + ": MAC " + mac + " is a multicast address");
                }
            }
            if (!CD_NAME.matcher(cd).matches()) {
                throw error(where + ": collision domain '" + cd + "' is invalid: use letters, digits and _");
            }
            if (d.links.putIfAbsent(index, new LabLink(index, cd, mac)) != null) {
                throw error(where + ": " + d.name + " eth" + index + " is given twice");
            }
            return;
        }
        switch (key) {
            case "mem" -> d.memoryMb = memory(value, where);
            case "image" -> d.image = requireValue(value, where, key);
            case "ipv6" -> {
                String v = value.strip().toLowerCase(Locale.ROOT);
                if (!v.equals("true") && !v.equals("false")) {
                    throw error(where + ": ipv6 must be true or false, not '" + value + "'");
                }
                d.ipv6 = Boolean.valueOf(v);
            }
            case "exec" -> d.exec.add(requireValue(value, where, key));
            case "sysctl" -> {
                String s = requireValue(value, where, key).replace(" ", "");
                if (!s.matches("net\\.[A-Za-z0-9_.\\-/]+=.+")) {
                    throw error(where + ": sysctl '" + value + "' must be net.KEY=VALUE");
                }
                d.sysctls.add(s);
            }
            case "env" -> {
                if (!ENV.matcher(value).matches()) {
                    throw error(where + ": env '" + value + "' must be NAME=VALUE");
                }
                int eq = value.indexOf('=');
                d.env.put(value.substring(0, eq), value.substring(eq + 1));
            }
            case "shell" -> d.shell = requireValue(value, where, key);
            default -> {
                if (UNSUPPORTED.contains(key)) {
                    warnings.add(where + ": option '" + key + "' of " + d.name + " is not supported by Dumm, ignored");
                } else {
                    warnings.add(where + ": unknown option '" + key + "' of " + d.name + ", ignored");
                }
            }
        }
    }

    /** Kathará's {@code 128m}/{@code 1g}; Netkit's plain number of MB. */
    static int memory(String value, String where) {
        Matcher m = MEMORY.matcher(value.strip());
        if (!m.matches()) {
            throw error(where + ": mem '" + value + "' is not a size such as 128m");
        }
        long n = Long.parseLong(m.group(1));
        long mb = m.group(2).equalsIgnoreCase("g") ? n * 1024 : n;
        if (mb < 16 || mb > 65536) {
            throw error(where + ": mem '" + value + "' is out of range (16m to 64g)");
        }
        return (int) mb;
    }

    private static String requireValue(String value, String where, String key) {
        if (value.isBlank()) {
            throw error(where + ": " + key + " has no value");
        }
        return value;
    }

    /** '#' starts a comment at the start of a line or after a space, outside quotes. */
    static String stripComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    static String unquote(String value) {
        String v = value.strip();
        if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'') && v.charAt(v.length() - 1) == v.charAt(0)) {
            return v.substring(1, v.length() - 1);
        }
        if (!v.isEmpty() && (v.charAt(0) == '"' || v.charAt(0) == '\'')) {
            throw error("unterminated quote in '" + value + "'");
        }
        return v;
    }

    static List<String> read(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static DummException error(String message) {
        return new DummException(Reason.INVALID_ARGUMENT, message);
    }
}
