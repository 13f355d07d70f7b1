package org.dumm.bridge.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.dumm.nativ.net.DeviceMarker;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.RtLink;
import org.dumm.tap.internal.TunTapDriver;
import org.junit.After;
import org.junit.Test;

/**
 * Benchmark, not a test (Surefire does not pick it up by default). Cost per operation of the
 * in-process drivers next to one {@code ip} process per operation, in the same run:
 * <pre>
 *   mvn -o test -pl bundles/dumm-bridge -Dtest=NetDriversBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *       [-Ddumm.bench.rounds=3] [-Ddumm.bench.taps=200] [-Ddumm.bench.bridges=50]
 * </pre>
 * Prints a markdown table and writes it to {@code target/bench/net-drivers.md}. Devices are
 * named dmqx* and removed afterwards.
 */
public class NetDriversBenchmark {

    private static final DeviceMarker MARKER = new DeviceMarker("dmqbench:", 0x646d7178);
    /** Group the ip(8) side uses for its batched delete. */
    private static final int IP_GROUP = 0x646d7190;

    private final int rounds = Integer.getInteger("dumm.bench.rounds", 3);
    private final int tapCount = Integer.getInteger("dumm.bench.taps", 200);
    private final int bridgeCount = Integer.getInteger("dumm.bench.bridges", 50);

    /** operation → per-op samples in ms, per side. */
    private final Map<String, List<Double>> dumm = new LinkedHashMap<>();
    private final Map<String, List<Double>> ip = new LinkedHashMap<>();

    @After
    public void cleanUp() {
        try (RtLink rt = RtLink.open()) {
            for (Link l : rt.list()) {
                if (l.name().startsWith("dmqx")) {
                    rt.delete(l.index(), "cleaning up " + l.name());
                }
            }
        }
    }

    @Test
    public void run() throws Exception {
        try (TunTapDriver taps = new TunTapDriver(MARKER); LinuxBridgeDriver bridges = new LinuxBridgeDriver(MARKER)) {
            // Warm-up: class loading and JIT, not measured.
            roundDumm(taps, bridges, 20, 5, null);
            for (int r = 0; r < rounds; r++) {
                roundDumm(taps, bridges, tapCount, bridgeCount, dumm);
                roundIp(tapCount, bridgeCount);
            }
        }
        report();
    }

    private List<String> tapNames(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add("dmqxt" + i);
        }
        return l;
    }

    private List<String> bridgeNames(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add("dmqxb" + i);
        }
        return l;
    }

    private void roundDumm(TunTapDriver taps, LinuxBridgeDriver bridges, int nt, int nb, Map<String, List<Double>> out) {
        List<String> t = tapNames(nt);
        List<String> b = bridgeNames(nb);
        long start = System.nanoTime();
        for (String n : t) {
            taps.create(n, "bench:" + n, null);
        }
        record(out, "create TAP", start, nt);
        start = System.nanoTime();
        for (String n : b) {
            bridges.create(n);
        }
        record(out, "create bridge (up)", start, nb);
        start = System.nanoTime();
        for (int i = 0; i < nt; i++) {
            bridges.addPort(b.get(i % nb), t.get(i));
        }
        record(out, "attach TAP to bridge", start, nt);
        start = System.nanoTime();
        for (String n : t) {
            taps.delete(n);
        }
        record(out, "delete TAP, one by one", start, nt);
        start = System.nanoTime();
        for (String n : b) {
            bridges.delete(n);
        }
        record(out, "delete bridge, one by one", start, nb);

        for (String n : t) {
            taps.create(n, "bench:" + n, null);
        }
        for (String n : b) {
            bridges.create(n);
        }
        for (int i = 0; i < nt; i++) {
            bridges.addPort(b.get(i % nb), t.get(i));
        }
        start = System.nanoTime();
        taps.deleteAll(t);
        record(out, "delete TAPs, batched", start, nt);
        start = System.nanoTime();
        bridges.deleteAll(b);
        record(out, "delete bridges, batched", start, nb);
    }

    private void roundIp(int nt, int nb) throws Exception {
        List<String> t = tapNames(nt);
        List<String> b = bridgeNames(nb);
        long start = System.nanoTime();
        for (String n : t) {
            ip("tuntap", "add", "dev", n, "mode", "tap");
        }
        record(ip, "create TAP", start, nt);
        start = System.nanoTime();
        for (String n : b) {
            ip("link", "add", n, "up", "type", "bridge");
        }
        record(ip, "create bridge (up)", start, nb);
        start = System.nanoTime();
        for (int i = 0; i < nt; i++) {
            ip("link", "set", t.get(i), "master", b.get(i % nb));
        }
        record(ip, "attach TAP to bridge", start, nt);
        start = System.nanoTime();
        for (String n : t) {
            ip("link", "del", n);
        }
        record(ip, "delete TAP, one by one", start, nt);
        start = System.nanoTime();
        for (String n : b) {
            ip("link", "del", n);
        }
        record(ip, "delete bridge, one by one", start, nb);

        for (String n : t) {
            ip("tuntap", "add", "dev", n, "mode", "tap");
        }
        for (String n : b) {
            ip("link", "add", n, "up", "type", "bridge");
        }
        for (int i = 0; i < nt; i++) {
            ip("link", "set", t.get(i), "master", b.get(i % nb));
        }
        // The same batching with ip: one process per device to regroup it, one to delete the group.
        start = System.nanoTime();
        for (String n : t) {
            ip("link", "set", n, "group", String.valueOf(IP_GROUP));
        }
        ip("link", "del", "group", String.valueOf(IP_GROUP));
        record(ip, "delete TAPs, batched", start, nt);
        start = System.nanoTime();
        for (String n : b) {
            ip("link", "set", n, "group", String.valueOf(IP_GROUP));
        }
        ip("link", "del", "group", String.valueOf(IP_GROUP));
        record(ip, "delete bridges, batched", start, nb);
    }

    private static void record(Map<String, List<Double>> out, String op, long start, int count) {
        if (out != null) {
            out.computeIfAbsent(op, k -> new ArrayList<>()).add((System.nanoTime() - start) / 1e6 / count);
        }
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(Arrays.toString(cmd) + ": " + new String(out));
        }
    }

    private void report() throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d TAPs, %d bridges, %d rounds; ms per operation, median of the rounds' means"
                + " (min-max)%n%n", tapCount, bridgeCount, rounds));
        md.append("| operation | Dumm in-process | `ip`, one process per op | ip / Dumm |\n|---|---|---|---|\n");
        for (String op : dumm.keySet()) {
            double d = median(dumm.get(op));
            double i = median(ip.get(op));
            md.append(String.format(Locale.ROOT, "| %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.1f× |%n", op,
                    d, min(dumm.get(op)), max(dumm.get(op)), i, min(ip.get(op)), max(ip.get(op)), i / d));
        }
        System.out.println(md);
        Path dir = Path.of("target", "bench");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("net-drivers.md"), md);
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
