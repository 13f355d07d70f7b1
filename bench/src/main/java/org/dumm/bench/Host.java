package org.dumm.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.dumm.nativ.Fcntl;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;

/**
 * Host helpers of the bench: running tools (the bare baseline is a script's worth of processes
 * on purpose), reading /proc, and the clean-up primitives.
 */
final class Host {

    private Host() {
    }

    /** What a tool printed (stdout and stderr merged), its exit status and wall time. */
    record Result(int exit, String out, long nanos) {
        boolean ok() {
            return exit == 0;
        }
    }

    static Result run(Duration timeout, String... cmd) {
        return runWithInput(timeout, null, cmd);
    }

    /** Runs a tool, optionally feeding {@code stdin}; exit -1 when it timed out (it is then killed). */
    static Result runWithInput(Duration timeout, String stdin, String... cmd) {
        long t0 = System.nanoTime();
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            p = pb.start();
        } catch (IOException e) {
            return new Result(127, cmd[0] + ": " + e.getMessage(), System.nanoTime() - t0);
        }
        try {
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = readAll(p.getInputStream());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out, System.nanoTime() - t0);
            }
            return new Result(p.exitValue(), out, System.nanoTime() - t0);
        } catch (IOException e) {
            p.destroyForcibly();
            return new Result(126, e.getMessage(), System.nanoTime() - t0);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted", System.nanoTime() - t0);
        }
    }

    static Result runChecked(Duration timeout, String... cmd) {
        Result r = run(timeout, cmd);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.out().trim());
        }
        return r;
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
    }

    // ---- processes ---------------------------------------------------------------------------

    /** Open descriptors of this JVM. */
    static int openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static void kill(long pid) {
        Native.libc().kill((int) pid, Fcntl.SIGKILL);
    }

    static String cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(b, StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Pids of every process whose command line contains {@code text} (e.g. the bench's own dir). */
    static List<Long> pidsWhoseCommandContains(String text) {
        List<Long> pids = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (long pid : allPids()) {
            if (pid != self && cmdline(pid).contains(text)) {
                pids.add(pid);
            }
        }
        return pids;
    }

    static List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    pids.add(Long.parseLong(n));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** Session id of a process (field 6 of /proc/pid/stat), or -1. */
    static long session(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Numbers (kB) from /proc/pid/smaps_rollup and status: Rss, Pss, Pss_Shmem, VmSize. */
    static Map<String, Long> memoryOf(long pid) {
        Map<String, Long> m = new HashMap<>();
        for (String file : List.of("smaps_rollup", "status")) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), file))) {
                    int colon = line.indexOf(':');
                    if (colon > 0 && line.endsWith(" kB")) {
                        String key = line.substring(0, colon);
                        String v = line.substring(colon + 1, line.length() - 3).trim();
                        m.put(key, Long.parseLong(v));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        return m;
    }

    /**
     * Host memory used by the guests whose linux.uml leaders are {@code sids} (each runs in its own
     * session): the PSS of every distinct address space in those sessions, in kB. UML's helper
     * processes share the kernel's address space (CLONE_VM) and are counted once; the guest's
     * user processes are separate address spaces. PSS shares the common kernel text fairly among
     * guests and includes the guest RAM file in /dev/shm as far as it is touched.
     */
    static long guestsPssKb(Collection<Long> sids) {
        Set<Long> wanted = new HashSet<>(sids);
        Map<Long, List<Long>> bySession = new HashMap<>();
        for (long pid : allPids()) {
            long s = session(pid);
            if (wanted.contains(s)) {
                bySession.computeIfAbsent(s, k -> new ArrayList<>()).add(pid);
            }
        }
        long total = 0;
        for (Map.Entry<Long, List<Long>> e : bySession.entrySet()) {
            Map<String, Long> main = memoryOf(e.getKey());
            long mainSize = main.getOrDefault("VmSize", -1L);
            long mainRss = main.getOrDefault("Rss", -1L);
            total += main.getOrDefault("Pss", 0L);
            for (long pid : e.getValue()) {
                if (pid == e.getKey()) {
                    continue;
                }
                Map<String, Long> m = memoryOf(pid);
                boolean sameSpace = m.getOrDefault("VmSize", -2L) == mainSize
                        && Math.abs(m.getOrDefault("Rss", 0L) - mainRss) <= 256;
                if (!sameSpace) {
                    total += m.getOrDefault("Pss", 0L);
                }
            }
        }
        return total;
    }

    /**
     * CPU seconds used so far by the guests whose leaders are {@code sids}: user + system time
     * of every process in their sessions plus what their reaped children used (clock ticks of
     * 10 ms, Linux's USER_HZ).
     */
    static double guestsCpuSeconds(Collection<Long> sids) {
        Set<Long> wanted = new HashSet<>(sids);
        long ticks = 0;
        for (long pid : allPids()) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long session = Long.parseLong(f[3]);
                if (!wanted.contains(session)) {
                    continue;
                }
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                if (pid == session) {
                    ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]); // cutime, cstime
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        return ticks / 100.0;
    }

    /** CPU seconds this JVM has used. */
    static double selfCpuSeconds() {
        return cpuSeconds(ProcessHandle.current().pid());
    }

    /** User + system CPU seconds a process has used so far, or -1. */
    static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(-1.0);
    }

    /** Resident set of one process in kB (VmRSS), or -1. */
    static long rssKb(long pid) {
        return memoryOf(pid).getOrDefault("VmRSS", -1L);
    }

    /** Bytes in use on /dev/shm, where UML keeps each guest's RAM file. */
    static long shmUsedBytes() {
        try {
            FileStore fs = Files.getFileStore(Path.of("/dev/shm"));
            return fs.getTotalSpace() - fs.getUnallocatedSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Waits until the host's CPUs were at most {@code busyMax} busy (all CPUs together, from
     * /proc/stat) over one {@code windowMs} window, or until {@code max} has passed; returns the
     * seconds waited and the last window's busy fraction. A start measured right after heavy work
     * (a previous item's guests exiting, their memory returned) measures that work too.
     */
    static double[] waitForQuietCpu(double busyMax, long windowMs, Duration max) {
        long t0 = System.nanoTime();
        long deadline = t0 + max.toNanos();
        long[] before = cpuTicks();
        double busy;
        do {
            sleep(windowMs);
            long[] after = cpuTicks();
            long total = after[0] - before[0];
            busy = total > 0 ? (double) (after[1] - before[1]) / total : 0;
            before = after;
        } while (busy > busyMax && System.nanoTime() < deadline);
        return new double[] {(System.nanoTime() - t0) / 1e9, busy};
    }

    /** All CPUs' ticks since boot: {total, busy} (busy: all but idle and iowait). */
    private static long[] cpuTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) { // user … steal; guest time is inside user
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total, total - idle};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    // ---- devices and mounts ------------------------------------------------------------------

    static boolean linkExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name), LinkOption.NOFOLLOW_LINKS);
    }

    /** Mount points at or below {@code dir}, deepest first. */
    static List<Path> mountsUnder(Path dir) {
        List<Path> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    Path mp = Path.of(unescape(f[4]));
                    if (mp.startsWith(dir)) {
                        found.add(mp);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return found;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Lazy unmount (the bench's clean-up; never used on anything outside its own directory). */
    static boolean umountLazy(Path p) {
        return Native.libc().umount2(p.toString(), Mounts.MNT_DETACH) == 0;
    }

    /** Deletes a tree without following symlinks; refuses while anything below is mounted. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!mountsUnder(dir).isEmpty()) {
            throw new IllegalStateException("not deleting " + dir + ": still mounted below it: " + mountsUnder(dir));
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
