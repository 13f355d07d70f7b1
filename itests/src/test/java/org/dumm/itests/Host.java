package org.dumm.itests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the host really holds — network devices, mounts, processes — read from /sys and /proc,
 * independently of what Dumm reports. Tests use it to prove that nothing of theirs is left, and
 * as a last-resort cleanup of devices, mounts and processes they made themselves.
 */
final class Host {

    private static final Path SYS_NET = Path.of("/sys/class/net");

    private Host() {
    }

    /** A network device: TAP or bridge or other, its alias and the bridge it is a port of. */
    record Link(String name, boolean tap, boolean bridge, String alias, String master) {
    }

    /** Every network device of the host, by name. */
    static Map<String, Link> links() {
        Map<String, Link> links = new TreeMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(SYS_NET)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                Path master = dir.resolve("master");
                String masterName = null;
                if (Files.isSymbolicLink(master)) {
                    masterName = Files.readSymbolicLink(master).getFileName().toString();
                }
                links.put(name, new Link(name, Files.exists(dir.resolve("tun_flags")),
                        Files.isDirectory(dir.resolve("bridge")), readTrimmed(dir.resolve("ifalias")), masterName));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + SYS_NET + ": " + e, e);
        }
        return links;
    }

    static boolean linkExists(String name) {
        return Files.exists(SYS_NET.resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    /** Devices whose alias starts with {@code prefix} (Dumm's ownership marker of one test run). */
    static Map<String, Link> linksMarked(String prefix) {
        Map<String, Link> marked = new TreeMap<>();
        links().forEach((name, link) -> {
            if (link.alias() != null && link.alias().startsWith(prefix)) {
                marked.put(name, link);
            }
        });
        return marked;
    }

    private static String readTrimmed(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return ""; // vanished meanwhile, or not readable: no alias to report
        }
    }

    /** Mount points at or below {@code dir} (from /proc/self/mountinfo), deepest first. */
    static List<String> mountsUnder(Path dir) {
        String root = dir.toAbsolutePath().normalize().toString();
        List<String> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    String point = unescape(f[4]);
                    if (point.equals(root) || point.startsWith(root + "/")) {
                        found.add(point);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read mountinfo: " + e, e);
        }
        found.sort(Comparator.comparingInt(String::length).reversed());
        return found;
    }

    /** mountinfo writes space, tab, newline and backslash as \ooo. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape: keep the backslash
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    /** Pids of processes one of whose arguments starts with {@code argPrefix}. */
    static List<Long> processesWithArg(String argPrefix) {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(p -> {
                for (String arg : cmdline(Long.parseLong(p.getFileName().toString()))) {
                    if (arg.startsWith(argPrefix)) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                        break;
                    }
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e, e);
        }
        return pids;
    }

    /** The UML processes (main process and its helpers) of guests living in {@code workDir}. */
    static List<Long> umlProcessesIn(Path workDir) {
        return processesWithArg("uml_dir=" + workDir.toAbsolutePath().normalize() + "/");
    }

    static List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (raw.length == 0) {
                return List.of();
            }
            return Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of(); // exited meanwhile
        }
    }

    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                && !processState(pid).equals("Z");
    }

    /** The state letter of /proc/PID/stat ("Z" for a zombie), or "" when gone. */
    static String processState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return stat.substring(close + 2, close + 3);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------ what a test left

    /** A readable list of what a test run left on the host; empty when nothing. */
    static List<String> leftovers(Path workDir, String aliasPrefix) {
        List<String> left = new ArrayList<>();
        linksMarked(aliasPrefix).keySet().forEach(n -> left.add("network device " + n));
        mountsUnder(workDir).forEach(m -> left.add("mount " + m));
        umlProcessesIn(workDir).stream().filter(Host::isAlive).forEach(p -> left.add("process " + p + " "
                + String.join(" ", cmdline(p)).replaceAll("(.{100}).*", "$1…")));
        return left;
    }

    /**
     * Last resort after a failed test: kills the UML processes of {@code workDir}, detaches the
     * mounts below it and deletes the devices carrying {@code aliasPrefix}. Everything it touches
     * was made for this test run only (its private work dir and marker). Returns what it did.
     */
    static List<String> forceCleanup(Path workDir, String aliasPrefix) {
        List<String> done = new ArrayList<>();
        List<Long> pids = umlProcessesIn(workDir);
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            done.add("killed " + pid);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pids.stream().anyMatch(Host::isAlive) && System.nanoTime() < deadline) {
            sleep(50);
        }
        for (String mount : mountsUnder(workDir)) {
            run("umount", "-l", mount);
            done.add("detached " + mount);
        }
        for (String name : linksMarked(aliasPrefix).keySet()) {
            run("ip", "link", "delete", name);
            done.add("deleted device " + name);
        }
        return done;
    }

    /** Deletes a directory tree, unless something is still mounted inside it (then false). */
    static boolean deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        if (!mountsUnder(dir).isEmpty()) {
            return false;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ tools

    /** Exit status and output of a host tool (tests only; product code uses system calls). */
    record Result(int status, String out) {
    }

    static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out + "\n(timed out)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private static final Set<Integer> PORTS_GIVEN = ConcurrentHashMap.newKeySet();

    /**
     * A loopback port for a test container's listener (SSH, RMI, HTTP), free now, below the
     * kernel's ephemeral range and not given out before in this JVM. A port the kernel picks
     * (bind to 0) lies in the ephemeral range, where any outgoing connection may take it as its
     * local port before the container binds it; and two such picks can return the same port.
     */
    static int freeLoopbackPort() {
        int ephemeralLow = 32768;
        try {
            // readAllLines: Files.readString gave "3" for this file (JDK 17 on a sysctl file)
            ephemeralLow = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .get(0).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            // the usual default
        }
        if (ephemeralLow < 2048) {
            ephemeralLow = 32768;
        }
        int low = Math.min(20000, ephemeralLow / 2);
        for (int i = 0; i < 500; i++) {
            int port = ThreadLocalRandom.current().nextInt(low, ephemeralLow);
            if (!PORTS_GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException inUse) {
                // taken: try another
            }
        }
        throw new IllegalStateException("no free loopback port in " + low + "-" + (ephemeralLow - 1));
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
